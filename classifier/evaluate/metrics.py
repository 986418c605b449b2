"""Metrics for one task from true and predicted labels (design.md: n, macro_f1, accuracy, per_class)."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score, precision_recall_fscore_support

from ..schema import tasks

# the phases in which peer workers act beyond delivering a service (codebook: co-creation starts early)
EARLY_PHASES = ("commissioning", "design")


def single_metrics(y_true, y_pred, values) -> dict:
    y_true, y_pred = list(map(str, y_true)), list(map(str, y_pred))
    values = [v for v in values]
    present = [v for v in values if v in y_true]
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=values, zero_division=0)
    out = {"n": len(y_true),
           "macro_f1": float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)) if present else 0.0,
           "accuracy": float(accuracy_score(y_true, y_pred)) if y_true else 0.0,
           "kappa": _kappa(y_true, y_pred),
           "per_class": {v: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                         for i, v in enumerate(values)}}
    return out


def task_metrics(name: str, y_true, y_pred) -> dict:
    """The metrics of one schema task (``single_metrics`` or ``multi_metrics`` by its kind)."""
    task = tasks()[name]
    if task.kind == "multi":
        return multi_metrics(y_true, y_pred, task.values)
    return single_metrics(y_true, y_pred, task.values)


def multi_metrics(y_true, y_pred, values=None) -> dict:
    """Phases: per_class = each phase as the positive label; macro_f1 over phases with support;
    accuracy = exact set match; kappa on the exact sets. ``values``: the schema's phases by default."""
    values = tuple(values or tasks()["phases"].values)
    early = [v for v in EARLY_PHASES if v in values]
    T = np.array([[v in t.split(";") for v in values] for t in y_true], dtype=int)
    P = np.array([[v in t.split(";") for v in values] for t in y_pred], dtype=int)
    per, f1s = {}, []
    for i, v in enumerate(values):
        p, r, f, _ = precision_recall_fscore_support(T[:, i], P[:, i], labels=[1], zero_division=0)
        per[v] = {"precision": float(p[0]), "recall": float(r[0]), "f1": float(f[0]), "support": int(T[:, i].sum())}
        if T[:, i].sum() > 0:
            f1s.append(float(f[0]))
    beyond_t = [int(any(x in t.split(";") for x in early)) for t in y_true]
    beyond_p = [int(any(x in t.split(";") for x in early)) for t in y_pred]
    return {"n": len(y_true), "macro_f1": float(np.mean(f1s)) if f1s else 0.0,
            "accuracy": float(np.mean([a == b for a, b in zip(y_true, y_pred)])) if len(y_true) else 0.0,
            "kappa": _kappa(list(y_true), list(y_pred)),
            "beyond_delivery_f1": float(f1_score(beyond_t, beyond_p, zero_division=0)),
            "per_class": per}


def _kappa(a, b) -> float:
    if len(set(a) | set(b)) < 2:
        return 1.0 if list(a) == list(b) else 0.0
    k = cohen_kappa_score(a, b)
    return float(0.0 if np.isnan(k) else k)


def brier_multiclass(y_true, proba: np.ndarray, classes) -> float:
    Y = np.array([[t == c for c in classes] for t in y_true], dtype=float)
    return float(np.mean(np.sum((proba - Y) ** 2, axis=1)))


def brier_binary(y_true_bool, p) -> float:
    y = np.asarray(y_true_bool, dtype=float)
    return float(np.mean((np.asarray(p, dtype=float) - y) ** 2))


def mean_metrics(runs: list[dict]) -> dict:
    """Average a list of metric dicts (one per repeat) key by key; adds ``*_std`` for the headline numbers."""
    if not runs:
        return {}
    first = runs[0]
    out = {}
    for key, value in first.items():
        vals = [r[key] for r in runs]
        if isinstance(value, dict):
            out[key] = mean_metrics(vals)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value) \
                and len({len(v) for v in vals}) == 1:
            out[key] = [mean_metrics(list(points)) for points in zip(*vals)]
        elif isinstance(value, bool) or isinstance(value, str):
            out[key] = value
        elif isinstance(value, int):
            out[key] = int(round(float(np.mean(vals))))
        elif isinstance(value, float):
            out[key] = float(np.mean(vals))
            if key in ("macro_f1", "accuracy", "kappa") and len(vals) > 1:
                out[f"{key}_std"] = float(np.std(vals))
    return out
