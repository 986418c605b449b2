"""Repeated stratified cross-validation of the ChartingModel, its ablations and the baselines, all on
the same folds.

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

from ..model.charting import PHASE_VALUES, ROLE_VALUES, ChartingModel
from ..model.defaults import DEFAULT_PARAMS
from .metrics import brier_binary, brier_multiclass, mean_metrics, multi_metrics, single_metrics

# name -> (parameter overrides, what the comparison shows)
ABLATIONS = {
    "tfidf_only": ({"use_rules": False}, "TF-IDF words only: what the codebook lexicons add"),
    "rules_only": ({"use_tfidf": False}, "learned weights on lexicon features only: what TF-IDF adds"),
    "no_class_weight": ({"class_weight": None}, "no class weights: what balancing buys for rare classes"),
    "no_rule_prior": ({"min_positives": 0}, "rare phases modelled with TF-IDF too (no rules-only prior)"),
    "no_rule_fallback": ({"rule_fallback": 0}, "phases with 1-2 positives learned (shipped: the fixed rule as a prior)"),
    "no_inferred": ({"use_inferred": False}, "trained without labels inferred from the review's counts"),
    "uncalibrated": ({"calibration": "none"}, "no probability calibration (compare Brier scores)"),
    "char_ngrams": ({"char_ngrams": True}, "adds character 3-5-gram TF-IDF"),
    "bs_with_tfidf": ({"rules_only_tasks": ()}, "boundary spanner with TF-IDF too (shipped: lexicon features only)"),
    "no_phase_gate": ({"phase_rule_gate": False}, "phases beyond delivery without the fixed rule as a gate"),
    "couple_phases": ({"couple_phases": True}, "a study predicted co-creation also gets design/commissioning"),
    "bs_all_lexicons": ({"scoped_rules": ()}, "boundary spanner from every lexicon's features (shipped: its own lexicon only)"),
    "bs_oof_threshold": ({"bs_threshold": "f1_true"}, "boundary spanner threshold chosen on out-of-fold F1 of true"),
    "bs_abstract_labels": ({"bs_sources": ("charted_abstract",)}, "boundary spanner trained on abstract-charted labels only"),
    "no_pairs": ({"lexicons": "no_pairs"}, "without the 'phase cues and co-creation cues together' features"),
}
BASELINE_NOTES = {"majority": "most frequent value of the training fold",
                  "rules": "fixed hand-set decisions from lexicon matches (rules_predict, no learning)"}
TASKS = ("role", "phases", "boundary_spanner")


@dataclass
class CVResult:
    ids: list[str]
    truth: dict                     # task -> pd.Series (None = unknown) indexed by id
    sources: dict                   # task -> pd.Series of label sources
    oof: dict = field(default_factory=dict)        # config -> [DataFrame per repeat] (probs + decisions)
    body_oof: list = field(default_factory=list)   # [DataFrame per repeat] for body variants (model)
    examples: dict = field(default_factory=dict)   # id -> full prediction dict (repeat 0, model)
    learning_curve: list = field(default_factory=list)
    scheme: str = ""
    seconds: float = 0.0


def _truth(labels: pd.DataFrame, ids: list[str]):
    truth = ChartingModel(use_inferred=True)._targets(labels, ids)
    lab = labels.set_index("id") if "id" in labels.columns else labels
    lab = lab[~lab.index.duplicated(keep="last")]
    sources = {}
    for t in TASKS:
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
    out = pd.concat([probs.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
    out.index = list(ids)
    return out


def _majority(truth, train_ids, test_ids) -> pd.DataFrame:
    def mode(series):
        vals = [v for v in series if v is not None]
        return max(sorted(set(vals)), key=vals.count) if vals else None

    role = mode(truth["role"][train_ids]) or "peer_support"
    ph = [v for v in truth["phases"][train_ids] if v is not None]
    phases = [p for p in PHASE_VALUES if sum(p in x.split(";") for x in ph) * 2 > len(ph)] or ["delivery"]
    bs = mode(truth["boundary_spanner"][train_ids]) or "false"
    row = {f"p_role_{v}": float(v == role) for v in ROLE_VALUES}
    row.update({f"p_phase_{v}": float(v in phases) for v in PHASE_VALUES})
    row["p_boundary_spanner"] = float(bs == "true")
    row.update(role=role, role_confidence=1.0, phases=";".join(phases), boundary_spanner=bs)
    return pd.DataFrame([row] * len(test_ids), index=list(test_ids))


def _rules_frame(preds: list[dict]) -> pd.DataFrame:
    keep = [f"p_role_{v}" for v in ROLE_VALUES] + [f"p_phase_{v}" for v in PHASE_VALUES] + \
        ["p_boundary_spanner", "role", "role_confidence", "phases", "boundary_spanner"]
    return pd.DataFrame([{k: p[k] for k in keep} for p in preds], index=[p["id"] for p in preds])


def run_cv(documents, labels: pd.DataFrame, *, params=None, ablations=ABLATIONS, repeats=3, n_splits=5, seed=0,
           body_docs=None, learning_fractions=(0.2, 0.4, 0.6, 0.8, 1.0), examples=True, progress=None) -> CVResult:
    t0 = time.perf_counter()
    params = dict(DEFAULT_PARAMS if params is None else params)
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
                  f"{len(ids)} labelled studies")
    configs = {"model": params, **{n: {**params, **o} for n, (o, _) in ablations.items()}}
    for cfg in configs.values():
        if cfg.get("lexicons") == "no_pairs":
            from ..features.lexicons import load_lexicons

            base = params.get("lexicons") or [lx.to_dict() for lx in load_lexicons()]
            cfg["lexicons"] = [{**d, "combine": []} for d in base]
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
        for t in TASKS:
            point[t] = task_metrics(t, truth[t], pred)["macro_f1"]
        out.append(point)
    return out


def task_metrics(task, truth: pd.Series, pred: pd.DataFrame, mask=None) -> dict:
    known = truth.notna() if mask is None else (truth.notna() & mask)
    ids = truth.index[known]
    yt, yp = list(truth[ids]), list(pred.loc[ids, task])
    if task == "role":
        m = single_metrics(yt, yp, ROLE_VALUES)
        P = pred.loc[ids, [f"p_role_{v}" for v in ROLE_VALUES]].to_numpy(float)
        m["brier"] = brier_multiclass(yt, P, ROLE_VALUES) if len(ids) else 0.0
    elif task == "phases":
        m = multi_metrics(yt, yp)
        m["brier"] = float(np.mean([brier_binary([v in t.split(";") for t in yt], pred.loc[ids, f"p_phase_{v}"])
                                    for v in PHASE_VALUES])) if len(ids) else 0.0
    else:
        m = single_metrics(yt, yp, ("true", "false"))
        m["f1_true"] = m["per_class"]["true"]["f1"]
        m["brier"] = brier_binary([t == "true" for t in yt], pred.loc[ids, "p_boundary_spanner"]) if len(ids) else 0.0
    return m


def summarise(res: CVResult) -> dict:
    """metrics.json: {task: {"model": M, "baselines": {name: M}, ...extras}} (design.md)."""
    out = {}
    for t in TASKS:
        def avg(name, mask=None):
            return mean_metrics([task_metrics(t, res.truth[t], p, mask) for p in res.oof[name]])

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
    for t in TASKS:
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
    params = dict(DEFAULT_PARAMS if params is None else params)
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
        entry["tasks"] = {}
        for t in TASKS:
            test_truth = truth[t][test_ids]
            if name.startswith("to_"):  # only the labels the held-out source gave
                test_truth = test_truth.where(sources[t][test_ids] == source, None)
            task_entry = {"model": task_metrics(t, test_truth, preds["model"]),
                          "baselines": {b: task_metrics(t, test_truth, preds[b]) for b in ("majority", "rules")}}
            src = sources[t][test_ids]
            task_entry["by_source"] = {s: task_metrics(t, test_truth, preds["model"], src == s)
                                       for s in sorted(set(src[test_truth.notna()]))}
            entry["tasks"][t] = task_entry
    return out


def cv_summary(documents, labels, params, repeats=2, n_splits=5, seed=0) -> dict:
    """Short CV for the model card: the full model and the majority baseline only."""
    res = run_cv(documents, labels, params=params, ablations={}, repeats=repeats, n_splits=n_splits, seed=seed,
                 learning_fractions=(), examples=False)
    summary = summarise(res)
    return {"scheme": res.scheme, "tasks": {t: {"macro_f1": s["model"]["macro_f1"], "accuracy": s["model"]["accuracy"],
                                                "kappa": s["model"]["kappa"], "brier": s["model"]["brier"],
                                                "majority_macro_f1": s["baselines"]["majority"]["macro_f1"]}
                                            for t, s in summary.items()}}
