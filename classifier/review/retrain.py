"""Fold the reviewed labels back into training: a new model directory, or fresh predictions.

The labels file already holds every reviewed label (the store writes them there), so retraining is
training on ``annotations/labels.csv`` with the texts of the labelled studies.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from ..schema import TASK_NAMES
from .store import LabelStore
from .texts import load_documents


class RetrainError(Exception):
    """Retraining cannot run (one line)."""


def training_set(labels_path, texts, warn=None):
    """``(documents, labels)``: the labelled studies that have a text, labels indexed by id."""
    frame = LabelStore(labels_path).load()  # every column: the model reads <task>_source too
    labels = frame[frame[list(TASK_NAMES)].notna().any(axis=1)]
    docs = load_documents(texts, ids=set(labels.index), warn=warn)
    keep = [i for i in labels.index if i in docs]
    if not keep:
        raise RetrainError(f"{labels_path}: no labelled study has a text in {', '.join(map(str, texts))}")
    missing = len(labels) - len(keep)
    if missing and warn:
        warn(f"{missing} labelled studies have no text in the --texts given; trained without them")
    return [docs[i] for i in keep], labels.loc[keep]


def fit_model(documents, labels, params: dict | None = None):
    from ..model import ChartingModel

    return ChartingModel(**(params or {})).fit(documents, labels)


def retrain(labels_path, texts, out_dir, params: dict | None = None, warn=None) -> dict:
    """Train on the labels file and write a model directory with its card; return the card."""
    from ..model import save_model

    documents, labels = training_set(labels_path, texts, warn)
    model = fit_model(documents, labels, params)
    store = LabelStore(labels_path)
    log = store.log()
    card = {
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "trained_by": "python -m classifier review --retrain",
        "labels": str(labels_path),
        "texts": [str(t) for t in texts],
        "n_documents": len(documents),
        "label_counts": {t: {str(k): int(v) for k, v in labels[t].dropna().value_counts().items()}
                         for t in TASK_NAMES},
        "reviewed_decisions": sum(1 for r in log if r["outcome"] in ("applied", "overwritten", "cleared")),
        "reviewers": sorted({r["reviewer"] for r in log if r["reviewer"]}),
        "params": params or {},
    }
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    save_model(model, out_dir, card)
    return card


def retrain_predict(labels_path, texts, ids, params: dict | None = None) -> dict[str, dict]:
    """Train on the labels file and predict ``ids``: ``{id: prediction dict}`` (runs in a worker process)."""
    documents, labels = training_set(labels_path, texts)
    model = fit_model(documents, labels, params)
    pool = load_documents(texts, ids=set(ids))
    todo = [pool[i] for i in ids if i in pool]
    preds = model.predict(todo) if todo else []
    out = {}
    for doc, pred in zip(todo, preds):
        pred = dict(pred)
        pred["id"] = doc.id
        out[doc.id] = pred
    return out
