"""Derived results from a CVResult: confusion matrices, reliability data, full-text gap, examples."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix

from ..model.charting import PHASE_VALUES, ROLE_VALUES
from .cv import TASKS, CVResult


def confusions(res: CVResult, name="model") -> dict:
    """Counts summed over repeats: {task: {"labels": [...], "matrix": [[...]]}} (phases: one 2x2 per phase)."""
    out = {}
    for t in TASKS:
        known = res.truth[t].notna()
        ids = res.truth[t].index[known]
        if t == "phases":
            per = {}
            for v in PHASE_VALUES:
                M = np.zeros((2, 2), dtype=int)
                for pred in res.oof[name]:
                    yt = [v in x.split(";") for x in res.truth[t][ids]]
                    yp = [v in x.split(";") for x in pred.loc[ids, t]]
                    M += confusion_matrix(yt, yp, labels=[True, False])
                per[v] = {"labels": ["yes", "no"], "matrix": M.tolist()}
            out[t] = per
            continue
        labels = list(ROLE_VALUES) if t == "role" else ["true", "false"]
        M = np.zeros((len(labels), len(labels)), dtype=int)
        for pred in res.oof[name]:
            M += confusion_matrix(list(res.truth[t][ids]), list(pred.loc[ids, t]), labels=labels)
        out[t] = {"labels": labels, "matrix": M.tolist(), "repeats": len(res.oof[name])}
    return out


def reliability(res: CVResult, names=("model", "uncalibrated"), bins=5) -> dict:
    """Reliability points (mean predicted probability, observed frequency) pooled over repeats."""
    out = {}
    for name in names:
        if name not in res.oof:
            continue
        entry = {}
        bs = res.truth["boundary_spanner"]
        ids = bs.index[bs.notna()]
        y = np.concatenate([(bs[ids] == "true").to_numpy() for _ in res.oof[name]])
        p = np.concatenate([p.loc[ids, "p_boundary_spanner"].to_numpy(float) for p in res.oof[name]])
        if len(set(y)) > 1:
            frac, mean = calibration_curve(y, p, n_bins=bins, strategy="quantile")
            entry["boundary_spanner"] = {"mean_predicted": mean.tolist(), "observed": frac.tolist()}
        role = res.truth["role"]
        ids = role.index[role.notna()]
        conf, hit = [], []
        for pred in res.oof[name]:
            P = pred.loc[ids, [f"p_role_{v}" for v in ROLE_VALUES]].to_numpy(float)
            k = P.argmax(axis=1)
            conf.append(P.max(axis=1))
            hit.append(np.array(ROLE_VALUES)[k] == role[ids].to_numpy())
        conf, hit = np.concatenate(conf), np.concatenate(hit)
        if len(set(hit)) > 1:
            frac, mean = calibration_curve(hit, conf, n_bins=bins, strategy="quantile")
            entry["role_top_label"] = {"mean_predicted": mean.tolist(), "observed": frac.tolist()}
        out[name] = entry
    return out


def full_text_gap(res: CVResult) -> dict:
    """The same studies predicted from title+abstract and from title+abstract+body start (out-of-fold)."""
    body = [b for b in res.body_oof if len(b)]
    if not body:
        return {"n": 0, "note": "no records with body text among the inputs"}
    out = {"n": int(len(body[0])), "tasks": {}}
    for t in TASKS:
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
            cols = [c for c in b.columns if c.startswith("p_") and (c.startswith("p_role") if t == "role" else
                    c.startswith("p_phase") if t == "phases" else c == "p_boundary_spanner")]
            dp.append(float(np.mean(np.abs(a[cols].to_numpy(float) - b[cols].to_numpy(float)))))
        out["tasks"][t] = {"agreement": float(np.mean(agree)), "n_labelled": n_lab,
                           "accuracy_abstract": float(np.mean(acc_a)) if acc_a else None,
                           "accuracy_with_body": float(np.mean(acc_b)) if acc_b else None,
                           "mean_abs_probability_change": float(np.mean(dp))}
    return out


def examples(res: CVResult, k=3) -> dict:
    """A few correct and wrong out-of-fold predictions per task, with their evidence."""
    out = {}
    for t in ("role", "boundary_spanner", "phases"):
        right, wrong = [], []
        for i, p in res.examples.items():
            truth = res.truth[t].get(i)
            if truth is None:
                continue
            conf = p["role_confidence"] if t == "role" else (p["p_boundary_spanner"] if t == "boundary_spanner"
                                                              else max(p[f"p_phase_{v}"] for v in ("commissioning", "design")))
            item = {"id": i, "title": p["title"], "truth": truth, "predicted": p[t], "confidence": conf,
                    "source": res.sources[t].get(i, ""), "evidence": p["evidence"][t],
                    "note": (p.get("evidence_notes") or {}).get(t, "")}
            (right if p[t] == truth else wrong).append(item)
        # interesting first: rare values, then confident ones
        def key(item):
            common = item["truth"] in ("peer_support", "false", "delivery")
            return (common, -float(item["confidence"]))

        right.sort(key=key)
        wrong.sort(key=key)
        out[t] = {"correct": right[:k], "wrong": wrong[:k]}
    return out
