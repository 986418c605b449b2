"""Derived results from a CVResult: confusion matrices, reliability data, full-text gap, examples."""
from __future__ import annotations

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix

from ..schema import task_names, tasks
from .cv import CVResult


def confusions(res: CVResult, name="model") -> dict:
    """Counts summed over repeats: {task: {"labels": [...], "matrix": [[...]]}} (phases: one 2x2 per phase)."""
    out = {}
    for t in task_names():
        if t not in res.truth:
            continue
        task = tasks()[t]
        known = res.truth[t].notna()
        ids = res.truth[t].index[known]
        if task.kind == "multi":
            per = {}
            for v in task.values:
                M = np.zeros((2, 2), dtype=int)
                for pred in res.oof[name]:
                    yt = [v in x.split(";") for x in res.truth[t][ids]]
                    yp = [v in x.split(";") for x in pred.loc[ids, t]]
                    M += confusion_matrix(yt, yp, labels=[True, False])
                per[v] = {"labels": ["yes", "no"], "matrix": M.tolist()}
            out[t] = per
            continue
        labels = list(task.values)
        M = np.zeros((len(labels), len(labels)), dtype=int)
        for pred in res.oof[name]:
            M += confusion_matrix(list(res.truth[t][ids]), list(pred.loc[ids, t]), labels=labels)
        out[t] = {"labels": labels, "matrix": M.tolist(), "repeats": len(res.oof[name])}
    return out


def reliability(res: CVResult, names=("model",), bins=5) -> dict:
    """Reliability points (mean predicted probability, observed frequency) pooled over repeats."""
    out = {}
    for name in names:
        if name not in res.oof:
            continue
        entry = {}
        for task in tasks().values():
            if task.name not in res.truth or task.kind == "multi":
                continue
            truth = res.truth[task.name]
            ids = truth.index[truth.notna()]
            if task.kind == "binary":  # P(true) against how often it is true
                y = np.concatenate([(truth[ids] == "true").to_numpy() for _ in res.oof[name]])
                p = np.concatenate([p.loc[ids, task.prob_column("true")].to_numpy(float) for p in res.oof[name]])
                key = task.name
            else:  # the probability of the top label against how often it is right
                y, p = [], []
                for pred in res.oof[name]:
                    P = pred.loc[ids, list(task.prob_columns)].to_numpy(float)
                    p.append(P.max(axis=1))
                    y.append(np.array(task.values)[P.argmax(axis=1)] == truth[ids].to_numpy())
                y, p, key = np.concatenate(y), np.concatenate(p), f"{task.name}_top_label"
            if len(set(y)) > 1:
                frac, mean = calibration_curve(y, p, n_bins=bins, strategy="quantile")
                entry[key] = {"mean_predicted": mean.tolist(), "observed": frac.tolist()}
        out[name] = entry
    return out


def full_text_gap(res: CVResult) -> dict:
    """The same studies predicted from title+abstract and from title+abstract+body start (out-of-fold)."""
    body = [b for b in res.body_oof if len(b)]
    if not body:
        return {"n": 0, "note": "no records with body text among the inputs"}
    out = {"n": int(len(body[0])), "tasks": {}}
    for t in task_names():
        if t not in res.truth:
            continue
        agree, acc_a, acc_b, dp, n_lab = [], [], [], [], 0
        for r, b in enumerate(res.body_oof):
            if not len(b):
                continue
            a = res.oof["model"][r].loc[b.index]
            agree.append(float(np.mean(a[t].to_numpy() == b[t].to_numpy())))
            truth = res.truth[t][b.index]
            lab = truth.notna()
            n_lab = int(lab.sum())
            if lab.any():
                acc_a.append(float(np.mean(a.loc[lab, t].to_numpy() == truth[lab].to_numpy())))
                acc_b.append(float(np.mean(b.loc[lab, t].to_numpy() == truth[lab].to_numpy())))
            cols = list(tasks()[t].prob_columns)
            dp.append(float(np.mean(np.abs(a[cols].to_numpy(float) - b[cols].to_numpy(float)))))
        out["tasks"][t] = {"agreement": float(np.mean(agree)), "n_labelled": n_lab,
                           "accuracy_abstract": float(np.mean(acc_a)) if acc_a else None,
                           "accuracy_with_body": float(np.mean(acc_b)) if acc_b else None,
                           "mean_abs_probability_change": float(np.mean(dp))}
    return out


def examples(res: CVResult, k=3) -> dict:
    """A few correct and wrong out-of-fold predictions per task, with their evidence."""
    out = {}
    for t in task_names():
        if t not in res.truth:
            continue
        task = tasks()[t]
        right, wrong = [], []
        for i, p in res.examples.items():
            truth = res.truth[t].get(i)
            if truth is None:
                continue
            conf = _confidence(task, p)
            item = {"id": i, "title": p["title"], "truth": truth, "predicted": p[t], "confidence": conf,
                    "source": res.sources[t].get(i, ""), "evidence": p["evidence"][t],
                    "note": (p.get("evidence_notes") or {}).get(t, "")}
            (right if p[t] == truth else wrong).append(item)
        # interesting first: rare values, then confident ones
        def key(item):
            return (item["truth"] == common, -float(item["confidence"]))

        common = res.truth[t].value_counts().idxmax() if res.truth[t].notna().any() else None

        right.sort(key=key)
        wrong.sort(key=key)
        out[t] = {"correct": right[:k], "wrong": wrong[:k]}
    return out


def _confidence(task, pred: dict) -> float:
    """How sure the prediction is of what it said: the probability of the predicted value (single), of
    ``true`` (binary), of the least certain phase it chose or left out (multi)."""
    if task.kind == "single":
        return float(pred.get(f"{task.name}_confidence") or max(pred[c] for c in task.prob_columns))
    if task.kind == "binary":
        return float(pred[task.prob_column("true")])
    chosen = set(str(pred.get(task.name) or "").split(";"))
    return float(min(pred[task.prob_column(v)] if v in chosen else 1 - pred[task.prob_column(v)]
                     for v in task.values))
