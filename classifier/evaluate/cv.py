"""Repeated stratified cross-validation of the ChartingModel, its ablations and the baselines, all on
the same folds. The model chooses every tuned setting inside ``fit`` (its ``C`` per target, the
thresholds behind its statuses), so these figures are nested estimates: nothing is chosen on a test fold.

Folds are stratified on the role label (``unknown`` for studies with no role), with ``n_splits`` capped
by the rarest role so every test fold holds co-creation studies. Each configuration is trained on the
training part of a fold and predicts the test part; metrics pool the out-of-fold predictions of one
repeat and are then averaged over repeats.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import RepeatedStratifiedKFold, train_test_split

from ..model.charting import ChartingModel
from ..schema import charting_task_names, charting_tasks, tasks
from .metrics import brier_binary, brier_multiclass, mean_metrics, multi_metrics, single_metrics

# name -> (parameter overrides, what the comparison shows)
ABLATIONS = {
    "no_text_filter": ({"text_can_show": False},
                       "yes/no targets also trained on full-text labels whose abstract holds none of the codebook's words"),
    "no_inferred": ({"use_inferred": False}, "trained without labels inferred from the review's counts"),
    "fixed_C": ({"C_grid": (1.0,)}, "every logistic model with C = 1 (shipped: C chosen inside each training fold)"),
}
BASELINE_NOTES = {"majority": "most frequent value of the training fold",
                  "rules": "fixed hand-set decisions from lexicon matches (rules_predict, no learning)"}
ERROR_RATE = ChartingModel().error_rate


@dataclass
class CVResult:
    ids: list[str]
    truth: dict                     # task -> pd.Series (None = unknown) indexed by id
    sources: dict                   # task -> pd.Series of label sources
    oof: dict = field(default_factory=dict)        # config -> [DataFrame per repeat] (probs + decisions)
    body_oof: list = field(default_factory=list)   # [DataFrame per repeat] for body variants (model)
    examples: dict = field(default_factory=dict)   # id -> full prediction dict (repeat 0, model)
    learning_curve: list = field(default_factory=list)
    shown: dict = field(default_factory=dict)      # task -> bool Series: the label is one the text can show
    scheme: str = ""
    seconds: float = 0.0


def _truth(labels: pd.DataFrame, ids: list[str]):
    truth = ChartingModel(use_inferred=True)._targets(labels, ids)
    lab = labels.set_index("id") if "id" in labels.columns else labels
    lab = lab[~lab.index.duplicated(keep="last")]
    sources = {}
    for t in charting_task_names():
        col = f"{t}_source"
        s = lab[col].reindex(ids) if col in lab.columns else pd.Series([""] * len(ids), index=ids)
        sources[t] = s.fillna("").astype(str).replace("", "unspecified")
    return truth, sources


def strata(truth: dict, ids, n_splits=5) -> np.ndarray:
    """Role per study; studies without a role, or in a stratum too small to split, join the largest."""
    y = np.array([truth["role"][i] or "unknown" for i in ids], dtype=object)
    values, counts = np.unique(y, return_counts=True)
    largest = values[np.argmax(counts)]
    small = {v for v, c in zip(values, counts) if v == "unknown" or c < 2}
    return np.array([largest if v in small else v for v in y], dtype=object)


def make_folds(y_strat, n_splits=5, repeats=3, seed=0):
    _, counts = np.unique(y_strat, return_counts=True)
    k = int(max(2, min(n_splits, counts.min())))
    return k, list(RepeatedStratifiedKFold(n_splits=k, n_repeats=repeats, random_state=seed).split(
        np.zeros(len(y_strat)), y_strat))


def _decisions(model, probs: pd.DataFrame, ids) -> pd.DataFrame:
    rows = [model.decide(probs.iloc[i]) for i in range(len(probs))]
    for row, (_, p) in zip(rows, probs.iterrows()):  # what each status would be at other error rates
        for rate in RATES:
            st = model.statuses(p, row, rate)
            for t in charting_task_names():
                row[f"{t}_status@{rate}"] = st[f"{t}_status"]
    out = pd.concat([probs.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
    out.index = list(ids)
    return out


def _shown(model, documents, labels) -> dict:
    """Per task, whether each study's label is one its text can show (``ChartingModel.shown_labels``;
    the lexicons behind it are fixed, so any fitted model gives the same answer)."""
    return {t: s.notna() for t, s in model.shown_labels(documents, labels).items()}


def _majority(truth, train_ids, test_ids) -> pd.DataFrame:
    def mode(series):
        vals = [v for v in series if v is not None]
        return max(sorted(set(vals)), key=vals.count) if vals else None

    row = {}
    for task in charting_tasks().values():
        known = [v for v in truth[task.name][train_ids] if v is not None]
        if task.kind == "multi":
            chosen = [v for v in task.values if sum(v in x.split(";") for x in known) * 2 > len(known)] or \
                [task.values[0]]
            row[task.name] = ";".join(chosen)
            row.update({task.prob_column(v): float(v in chosen) for v in task.values})
            continue
        value = mode(known) or task.values[-1 if task.kind == "binary" else 0]
        row[task.name] = value
        if task.kind == "single":
            row[f"{task.name}_confidence"] = 1.0
            row.update({task.prob_column(v): float(v == value) for v in task.values})
        else:
            row[task.prob_column("true")] = float(value == "true")
    return pd.DataFrame([row] * len(test_ids), index=list(test_ids))


def _rules_frame(preds: list[dict]) -> pd.DataFrame:
    keep = [c for t in charting_tasks().values() for c in (t.name, *t.prob_columns)] + \
        [f"{t.name}_confidence" for t in charting_tasks().values() if t.kind == "single"]
    return pd.DataFrame([{k: p[k] for k in keep} for p in preds], index=[p["id"] for p in preds])


def run_cv(documents, labels: pd.DataFrame, *, params=None, ablations=ABLATIONS, repeats=3, n_splits=5, seed=0,
           body_docs=None, learning_fractions=(0.2, 0.4, 0.6, 0.8, 1.0), examples=True, progress=None) -> CVResult:
    t0 = time.perf_counter()
    params = dict(params or {})
    TASKS = charting_task_names()
    ids = [d.id for d in documents]
    truth, sources = _truth(labels, ids)
    keep = [i for i, d in enumerate(documents) if any(truth[t][d.id] is not None for t in TASKS)]
    documents = [documents[i] for i in keep]
    ids = [d.id for d in documents]
    truth = {t: s[ids] for t, s in truth.items()}
    sources = {t: s[ids] for t, s in sources.items()}
    body_docs = body_docs or {}
    y = strata(truth, ids, n_splits)
    k, folds = make_folds(y, n_splits, repeats, seed)
    res = CVResult(ids, truth, sources)
    res.scheme = (f"RepeatedStratifiedKFold: {k} folds x {repeats} repeats (seed {seed}), stratified on role; "
                  f"{len(ids)} labelled studies; every tuned setting chosen inside each training fold (nested)")
    configs = {"model": params, **{n: {**params, **o} for n, (o, _) in ablations.items()}}
    rules = _rules_frame(ChartingModel(**params).rules_predict(documents))
    parts = {name: [[] for _ in range(repeats)] for name in [*configs, "majority", "rules"]}
    body_parts = [[] for _ in range(repeats)]
    doc_arr = np.array(documents, dtype=object)
    for f, (train, test) in enumerate(folds):
        r = f // k
        train_docs, test_docs = list(doc_arr[train]), list(doc_arr[test])
        train_ids, test_ids = [ids[i] for i in train], [ids[i] for i in test]
        parts["majority"][r].append(_majority(truth, train_ids, test_ids))
        parts["rules"][r].append(rules.loc[test_ids])
        for name, cfg in configs.items():
            model = ChartingModel(**cfg).fit(train_docs, labels)
            if name == "model" and not res.shown:
                res.shown = _shown(model, documents, labels)
            if name == "model" and r == 0 and examples:
                preds = model.predict(test_docs)
                res.examples.update({p["id"]: p for p in preds})
            parts[name][r].append(_decisions(model, model.predict_proba_table(test_docs), test_ids))
            if name == "model":
                bdocs = [body_docs[i] for i in test_ids if i in body_docs]
                if bdocs:
                    body_parts[r].append(_decisions(model, model.predict_proba_table(bdocs), [d.id for d in bdocs]))
        if progress:
            progress(f"fold {f + 1}/{len(folds)} done ({time.perf_counter() - t0:.0f} s)")
    res.oof = {name: [pd.concat(p).loc[ids] for p in reps] for name, reps in parts.items()}
    res.body_oof = [pd.concat(p) if p else pd.DataFrame() for p in body_parts]
    if learning_fractions:
        res.learning_curve = learning_curve(documents, labels, ids, truth, y, folds[:k], params, learning_fractions,
                                            seed)
    res.seconds = time.perf_counter() - t0
    return res


def learning_curve(documents, labels, ids, truth, y, folds, params, fractions, seed) -> list[dict]:
    """Macro-F1 per task against the number of training studies (one repeat of the folds)."""
    out = []
    doc_arr = np.array(documents, dtype=object)
    for frac in fractions:
        preds, sizes = [], []
        for train, test in folds:
            if frac < 1.0:
                try:
                    train, _ = train_test_split(train, train_size=frac, stratify=y[train], random_state=seed)
                except ValueError:
                    train, _ = train_test_split(train, train_size=frac, random_state=seed)
            sizes.append(len(train))
            model = ChartingModel(**params).fit(list(doc_arr[train]), labels)
            test_ids = [ids[i] for i in test]
            preds.append(_decisions(model, model.predict_proba_table(list(doc_arr[test])), test_ids))
        pred = pd.concat(preds).loc[ids]
        point = {"fraction": frac, "n_train": int(np.mean(sizes))}
        for t in charting_task_names():
            point[t] = task_metrics(t, truth[t], pred)["macro_f1"]
        out.append(point)
    return out


RATES = (0.01, 0.02, 0.05, 0.1, 0.2)   # error rates at which the accept-unread status is measured


def task_metrics(task, truth: pd.Series, pred: pd.DataFrame, mask=None, shown=None) -> dict:
    """Agreement of ``pred`` with every known label of ``task`` (within ``mask``). With status columns,
    also the accept-unread figures and the risk-coverage curve, counted against the labels the text can
    show (``shown``, as the statuses are calibrated; default every label), and against every label
    (``accept_unread_every_label``) where that differs."""
    spec = tasks()[task]
    known = truth.notna() if mask is None else (truth.notna() & mask)
    ids = truth.index[known]
    yt, yp = list(truth[ids]), list(pred.loc[ids, task])
    if spec.kind == "single":
        m = single_metrics(yt, yp, spec.values)
        P = pred.loc[ids, list(spec.prob_columns)].to_numpy(float)
        m["brier"] = brier_multiclass(yt, P, spec.values) if len(ids) else 0.0
    elif spec.kind == "multi":
        m = multi_metrics(yt, yp, spec.values)
        m["brier"] = float(np.mean([brier_binary([v in t.split(";") for t in yt], pred.loc[ids, spec.prob_column(v)])
                                    for v in spec.values])) if len(ids) else 0.0
    else:
        m = single_metrics(yt, yp, ("true", "false"))
        m["f1_true"] = m["per_class"]["true"]["f1"]
        m["brier"] = brier_binary([t == "true" for t in yt], pred.loc[ids, spec.prob_column("true")]) \
            if len(ids) else 0.0
    if len(ids) and f"{task}_status@{RATES[0]}" in pred.columns:
        can = known if shown is None else (known & shown.reindex(truth.index, fill_value=False))
        sids = truth.index[can]
        st, sp = list(truth[sids]), list(pred.loc[sids, task])
        m["accept_unread"] = accept_unread(task, st, sp, pred.loc[sids])
        m["risk_coverage"] = risk_coverage(task, st, sp, pred.loc[sids])
        if len(sids) < len(ids):
            m["accept_unread_every_label"] = accept_unread(task, yt, yp, pred.loc[ids])
            m["labels_text_cannot_show"] = len(ids) - len(sids)
    return m


def accept_unread(task, yt, yp, pred: pd.DataFrame) -> dict:
    """Per requested error rate: the share of studies whose label is ``confident`` (coverage) and how
    often those labels are wrong (error), out of fold."""
    wrong = np.array([a != b for a, b in zip(yt, yp)])
    out = {}
    for rate in RATES:
        ok = (pred[f"{task}_status@{rate}"] == "confident").to_numpy()
        n = int(ok.sum())
        out[str(rate)] = {"requested": rate, "coverage": float(ok.mean()), "n_confident": n,
                          "error": float(wrong[ok].mean()) if n else 0.0}
    return out


def _confidence(task, pred: pd.DataFrame) -> np.ndarray:
    spec = tasks()[task]
    if spec.kind == "single":
        return pred[f"{task}_confidence"].to_numpy(float)
    if spec.kind == "binary":
        p = pred[spec.prob_column("true")].to_numpy(float)
        return np.maximum(p, 1 - p)
    P = pred[list(spec.prob_columns)].to_numpy(float)
    return np.maximum(P, 1 - P).min(axis=1)


def risk_coverage(task, yt, yp, pred: pd.DataFrame, points: int = 20) -> list[dict]:
    """Error among the most confident studies against the share accepted (the risk-coverage curve)."""
    wrong = np.array([a != b for a, b in zip(yt, yp)], dtype=float)
    order = np.argsort(-_confidence(task, pred), kind="stable")
    n = len(order)
    out = []
    for k in sorted({max(1, int(round(n * f))) for f in np.linspace(0.05, 1.0, points)}):
        out.append({"coverage": k / n, "error": float(wrong[order[:k]].mean())})
    return out


def summarise(res: CVResult) -> dict:
    """metrics.json: {task: {"model": M, "baselines": {name: M}, ...extras}} (design.md)."""
    out = {}
    for t in charting_task_names():
        def avg(name, mask=None):
            return mean_metrics([task_metrics(t, res.truth[t], p, mask, res.shown.get(t)) for p in res.oof[name]])

        entry = {"model": avg("model"),
                 "baselines": {name: avg(name) for name in res.oof if name != "model"}}
        srcs = res.sources[t]
        entry["by_source"] = {s: avg("model", srcs == s) for s in sorted(set(srcs[res.truth[t].notna()]))}
        entry["human_kappa_published"] = 0.88
        out[t] = entry
    return out


def _blank_other_sources(labels: pd.DataFrame, source: str) -> pd.DataFrame:
    """The labels with every task cell whose ``<task>_source`` is not ``source`` set to unknown."""
    out = labels.copy()
    for t in charting_task_names():
        col = f"{t}_source"
        if t in out.columns:
            keep = out[col].astype(str) == source if col in out.columns else pd.Series(False, index=out.index)
            out[t] = out[t].where(keep, None)
    return out


def cross_source(documents, labels: pd.DataFrame, *, params=None, source: str = "charted_abstract") -> dict:
    """Train on the studies labelled by one source, test on the studies labelled by the others, both ways.

    ``to_<source>``: trained on every study with no ``source`` label (review-stated and review-inferred
    labels), tested on the studies labelled by ``source`` (the abstract-charted ones: what a review team
    charting new literature produces). ``from_<source>``: trained on the ``source`` labels only, tested on
    the other studies (``by_source`` splits them). One fit per direction; the majority baseline (from the
    same training set) and the fixed rules are scored on the same test studies. Metrics per task as in
    ``task_metrics``; a direction with no training or test studies has ``skipped`` instead of ``tasks``.
    """
    params = dict(params or {})
    TASKS = charting_task_names()
    ids = [d.id for d in documents]
    truth, sources = _truth(labels, ids)
    in_source = pd.Series(False, index=ids)
    for t in TASKS:
        in_source |= (sources[t] == source) & truth[t].notna()
    labelled = pd.Series(False, index=ids)
    for t in TASKS:
        labelled |= truth[t].notna()
    by_id = {d.id: d for d in documents}
    group = [i for i in ids if in_source[i]]
    others = [i for i in ids if labelled[i] and not in_source[i]]
    others_sources = sorted({s for t in TASKS for s in sources[t][others][truth[t][others].notna()]})
    directions = {
        f"to_{source}": (others, group, labels, f"labels from the other sources ({', '.join(others_sources)})",
                         f"{source} labels"),
        f"from_{source}": (group, others, _blank_other_sources(labels, source), f"{source} labels only",
                           f"labels from the other sources ({', '.join(others_sources)})"),
    }
    rules = None
    out = {"source": source, "directions": {}}
    for name, (train_ids, test_ids, train_labels, train_desc, test_desc) in directions.items():
        entry = {"train": train_desc, "test": test_desc, "n_train_studies": len(train_ids),
                 "n_test_studies": len(test_ids)}
        out["directions"][name] = entry
        if not train_ids or not test_ids:
            entry["skipped"] = "no training studies" if not train_ids else "no test studies"
            continue
        test_docs = [by_id[i] for i in test_ids]
        model = ChartingModel(**params).fit([by_id[i] for i in train_ids], train_labels)
        train_truth = truth if name.startswith("to_") else \
            {t: truth[t].where(sources[t] == source, None) for t in TASKS}
        preds = {"model": _decisions(model, model.predict_proba_table(test_docs), test_ids),
                 "majority": _majority(train_truth, train_ids, test_ids)}
        if rules is None:
            rules = _rules_frame(ChartingModel(**params).rules_predict(documents))
        preds["rules"] = rules.loc[test_ids]
        shown = _shown(model, test_docs, labels)
        entry["tasks"] = {}
        for t in TASKS:
            test_truth = truth[t][test_ids]
            if name.startswith("to_"):  # only the labels the held-out source gave
                test_truth = test_truth.where(sources[t][test_ids] == source, None)
            task_entry = {"model": task_metrics(t, test_truth, preds["model"], shown=shown[t]),
                          "baselines": {b: task_metrics(t, test_truth, preds[b]) for b in ("majority", "rules")}}
            src = sources[t][test_ids]
            task_entry["by_source"] = {s: task_metrics(t, test_truth, preds["model"], src == s, shown[t])
                                       for s in sorted(set(src[test_truth.notna()]))}
            entry["tasks"][t] = task_entry
    return out


def cv_summary(documents, labels, params, repeats=2, n_splits=5, seed=0) -> dict:
    """Short CV for the model card: the full model and the majority baseline only."""
    res = run_cv(documents, labels, params=params, ablations={}, repeats=repeats, n_splits=n_splits, seed=seed,
                 learning_fractions=(), examples=False)
    summary = summarise(res)
    return {"scheme": res.scheme, "error_rate": ERROR_RATE,
            "external": cross_source(documents, labels, params=params), "tasks": {t: {"macro_f1": s["model"]["macro_f1"], "accuracy": s["model"]["accuracy"],
                                                "kappa": s["model"]["kappa"], "brier": s["model"]["brier"],
                                                "majority_macro_f1": s["baselines"]["majority"]["macro_f1"],
                                                "accept_unread": s["model"].get("accept_unread", {}),
                                                "accept_unread_every_label":
                                                    s["model"].get("accept_unread_every_label", {})}
                                            for t, s in summary.items()}}
