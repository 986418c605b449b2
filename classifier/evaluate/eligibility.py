"""Cross-validated evaluation of the eligibility task, against baselines, on the same folds.

Every setting of the model (regularisation, TF-IDF or not, decision threshold) is chosen inside each
training fold by ``EligibilityModel.fit``; the test fold is seen only once, for the figures here.

Baselines: ``majority`` (everything in scope), ``peer_terms`` (in scope when the text mentions peers or
lived experience at all: the hint the outputs gave before eligibility was modelled) and ``rules`` (the
fixed criteria, then out of scope when an exclusion lexicon matches the title or abstract and no peer
worker title does).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from ..model.eligibility import FIXED, EligibilityModel, labels_for
from ..schema import eligibility_task
from .metrics import single_metrics as classification_metrics


def _groups(labels: pd.DataFrame, ids) -> list[str]:
    """Where each study's label comes from: ``near_miss`` (excluded corpus studies), ``unrelated_pdf``,
    ``in_scope``."""
    frame = labels.set_index("id") if "id" in labels.columns else labels
    src = frame["eligible_source"].reindex(ids).fillna("") if "eligible_source" in frame.columns else pd.Series("", index=ids)
    elig = frame["eligible"].reindex(ids)
    out = []
    for i in ids:
        if str(elig[i]) == "true":
            out.append("in_scope")
        elif src[i] == "unrelated_pdf":
            out.append("unrelated_pdf")
        else:
            out.append("near_miss")
    return out


def rules_baseline(model: EligibilityModel, documents) -> list[tuple[str, str]]:
    """(eligible, reason) from the fixed criteria and the lexicons alone (``model`` supplies the data)."""
    table, _ = model._table(documents)
    reasons = [r for r in eligibility_task().reasons if r in model._get_matcher().names]
    out = []
    for _, row in table.iterrows():
        fixed = [n for n in FIXED if row[f"crit_{n}"] > 0]
        if fixed:
            out.append(("false", fixed[0]))
            continue
        hits = [r for r in reasons if row[f"rule_{r}_front"] > 0]
        if hits and row["rule_peer_worker_front"] == 0:
            out.append(("false", max(hits, key=lambda r: row[f"rule_{r}_front"])))
        else:
            out.append(("true", ""))
    return out


def cross_validate(documents, labels: pd.DataFrame, *, folds=5, repeats=1, random_state=0, params=None,
                   progress=None) -> dict:
    """Out-of-fold eligibility predictions for every labelled document and their metrics.

    Returns ``{"eligible": {"model": M, "baselines": {...}}, "groups": {...}, "reasons": {...},
    "settings": [...]}`` where each ``M`` has the shape of ``metrics.classification_metrics`` and
    ``groups`` gives the share of each kind of study (in scope, near miss, unrelated PDF) decided right.
    """
    base = EligibilityModel(**(params or {}))
    y, reasons = labels_for(documents, labels)
    keep = [i for i, v in enumerate(y) if v in ("true", "false")]
    docs = [documents[i] for i in keep]
    y = np.array([y[i] for i in keep])
    reasons = [reasons[i] or "" for i in keep]
    ids = [d.id or d.source for d in docs]
    groups = np.array(_groups(labels, ids))
    strata = groups  # every fold holds in-scope studies, near misses and unrelated PDFs
    preds = {"model": [], "majority": [], "peer_terms": [], "rules": []}
    truth, grp, true_reason, pred_reason, settings = [], [], [], [], []
    for rep in range(repeats):
        cv = StratifiedKFold(folds, shuffle=True, random_state=random_state + rep)
        for k, (train, test) in enumerate(cv.split(np.zeros(len(y)), strata)):
            model = clone(base).fit([docs[i] for i in train], y[train], [reasons[i] for i in train])
            settings.append(model.describe())
            test_docs = [docs[i] for i in test]
            rows = model.predict_rows(test_docs)
            preds["model"] += [r["eligible"] for r in rows]
            pred_reason += [r["exclusion_reason"] for r in rows]
            preds["majority"] += ["true"] * len(test)
            table, _ = model._table(test_docs)
            preds["peer_terms"] += ["false" if v > 0 else "true" for v in table["crit_no_peer_terms"]]
            preds["rules"] += [e for e, _ in rules_baseline(model, test_docs)]
            truth += list(y[test])
            grp += list(groups[test])
            true_reason += [reasons[i] for i in test]
            if progress:
                progress(rep * folds + k + 1, repeats * folds)
    truth_a, grp_a = np.array(truth), np.array(grp)
    values = list(eligibility_task().values)
    out = {"eligible": {"model": classification_metrics(truth, preds["model"], values),
                        "baselines": {b: classification_metrics(truth, preds[b], values)
                                      for b in ("majority", "peer_terms", "rules")}},
           "groups": {}, "reasons": {}, "settings": settings, "repeats": repeats, "folds": folds}
    for name, p in preds.items():
        p = np.array(p)
        out["groups"][name] = {g: {"n": int((grp_a == g).sum()),
                                   "decided_right": float(np.mean(p[grp_a == g] == truth_a[grp_a == g]))}
                               for g in ("in_scope", "near_miss", "unrelated_pdf") if (grp_a == g).any()}
    # reasons: among the excluded studies the model also excluded, how often its reason is the charted one
    pm = np.array(preds["model"])
    both = [(t, p) for t, p, e, tr in zip(true_reason, pred_reason, pm, truth_a) if tr == "false" and e == "false" and t]
    per = {}
    for t, p in both:
        d = per.setdefault(t, {"n": 0, "same_reason": 0})
        d["n"] += 1
        d["same_reason"] += int(t == p)
    order = list(eligibility_task().reasons)
    out["reasons"] = {"n": len(both), "agreement": float(np.mean([t == p for t, p in both])) if both else None,
                      "per_reason": {r: per[r] for r in order if r in per}}
    out["predictions"] = [{"id": i, "truth": t, "group": g, "predicted": p, "reason": tr, "predicted_reason": pr}
                          for i, t, g, p, tr, pr in zip(_ids_in_order(ids, repeats, folds, strata, random_state), truth, grp, preds["model"], true_reason, pred_reason)]
    return out


def _ids_in_order(ids, repeats, folds, strata, random_state) -> list[str]:
    order = []
    for rep in range(repeats):
        cv = StratifiedKFold(folds, shuffle=True, random_state=random_state + rep)
        for _, test in cv.split(np.zeros(len(ids)), strata):
            order += [ids[i] for i in test]
    return order
