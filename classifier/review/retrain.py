"""Fold the reviewed labels back into training: a new model directory, or fresh predictions.

The labels file already holds every reviewed label (the store writes them there), so retraining is
training on ``annotations/labels.csv`` with the texts of the labelled studies.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from ..schema import task_names
from .store import LabelStore
from .texts import load_documents


class RetrainError(Exception):
    """Retraining cannot run (one line)."""


def training_set(labels_path, texts, warn=None):
    """``(documents, labels)``: the labelled studies that have a text, labels indexed by id."""
    frame = LabelStore(labels_path).load()  # every column: the model reads <task>_source too
    labels = frame[frame[list(task_names())].notna().any(axis=1)]
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


def base_params(model_path=None, warn=None) -> dict:
    """The parameters of the current model (``model_path``, else the shipped one), so a retrained model
    differs only by its labels; ChartingModel defaults when there is none."""
    try:
        from ..model import load_model

        return {k: v for k, v in load_model(model_path).get_params().items() if k != "lexicons"}
    except Exception as exc:  # no model yet, or an unreadable one: defaults, said once
        if warn:
            warn(f"using default model parameters ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})")
        return {}


def retrain(labels_path, texts, out_dir, params: dict | None = None, warn=None, model_path=None) -> dict:
    """Train on the labels file and write a model directory with its card; return the card."""
    from ..model import save_model

    documents, labels = training_set(labels_path, texts, warn)
    params = dict(base_params(model_path, warn) if params is None else params)
    model = fit_model(documents, labels, params)
    log = LabelStore(labels_path).log()
    try:
        from ..model.card import make_card

        card = make_card(model, labels=labels.reset_index(), documents=documents, label_path=str(labels_path),
                         text_paths=[str(t) for t in texts], name=Path(out_dir).name)
    except ImportError:
        card = {"name": Path(out_dir).name, "n_documents": len(documents), "params": params}
    card["date"] = card.get("date") or datetime.now(timezone.utc).isoformat(timespec="seconds")
    card["trained_by"] = "python -m classifier review --retrain"
    card["n_documents"] = len(documents)
    card["review"] = {
        "reviewed_decisions": sum(1 for r in log if r["outcome"] in ("applied", "overwritten", "cleared")),
        "reviewers": sorted({r["reviewer"] for r in log if r["reviewer"]}),
        "labels_reviewed": sum(1 for _, row in labels.iterrows()
                               if any(str(row.get(f"{t}_source", "")) == "reviewed" for t in task_names())),
        "decision_log": str(LabelStore(labels_path).log_path),
    }
    save_model(model, out_dir, card)
    return card


def retrain_predict(labels_path, texts, ids, params: dict | None = None) -> dict[str, dict]:
    """Train on the labels file and predict ``ids``: ``{id: prediction dict}`` (runs in a worker process).

    ``params`` None: the current shipped model's parameters."""
    documents, labels = training_set(labels_path, texts)
    model = fit_model(documents, labels, base_params() if params is None else params)
    pool = load_documents(texts, ids=set(ids))
    todo = [pool[i] for i in ids if i in pool]
    preds = model.predict(todo) if todo else []
    out = {}
    for doc, pred in zip(todo, preds):
        pred = dict(pred)
        pred["id"] = doc.id
        out[doc.id] = pred
    return out
