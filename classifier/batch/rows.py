"""Output rows: a prediction dict for a document, or an error row saying why there is none."""
from __future__ import annotations

from ..io.columns import PREDICTION_COLUMNS

LABEL_FIELDS = tuple(c for c in PREDICTION_COLUMNS if c not in ("id", "source", "status", "error"))


def base_row(item) -> dict:
    row = {"id": item.id, "source": item.source, "status": "ok", "error": "", "title": "", "doi": "",
           "pages": "", "ocr_pages": [], "peer_terms": ""}
    if item.record is not None:
        row["title"] = item.record.title
        row["doi"] = item.record.doi
        # bibliographic facts for the reference-manager outputs (--ris, --refs-csv)
        for key in ("authors", "year", "journal"):
            if item.record.extra.get(key):
                row[key] = item.record.extra[key]
    return row


def error_row(item, message: str) -> dict:
    row = base_row(item)
    row.update(status="error", error=" ".join(str(message).split()) or "unknown error")
    for name in LABEL_FIELDS:
        row[name] = ""
    row["evidence"] = {}
    return row


def prediction_part(pred: dict, document=None) -> dict:
    """What the model decided (labels, probabilities, evidence and its notes), with the document's ``peer_terms``
    count: the cacheable part of a row."""
    keep = set(LABEL_FIELDS) | {"evidence", "evidence_notes", "status", "error"}
    part = {k: v for k, v in pred.items() if k in keep}
    if document is not None and part.get("status", "ok") == "ok":
        if "peer_terms" in pred:  # the model counted them (a document without any is never 'confident')
            part["peer_terms"] = pred["peer_terms"]
        else:
            from ..features.topic import peer_terms

            part["peer_terms"] = peer_terms(document)
    return part


def ok_row(item, document, part: dict) -> dict:
    row = base_row(item)
    if document is not None:
        row["title"] = row["title"] or document.title
        row["doi"] = row["doi"] or document.meta.get("doi", "")
        row["pages"] = document.pages or ""
        row["ocr_pages"] = list(document.ocr_pages)
    row.update(part)
    if row.get("status") == "error":  # the model declined (e.g. nothing to classify)
        reason = str(row.get("error") or "the model could not label this document")
        if reason.startswith(f"{item.id}: "):
            reason = reason[len(item.id) + 2:]
        name = item.path.rsplit("/", 1)[-1] if item.path else item.source
        kept = {k: row[k] for k in ("title", "doi", "pages", "ocr_pages")}  # (peer_terms: none without labels)
        return error_row(item, f"{name}: {reason}") | kept
    return row


def valid_part(part) -> bool:
    """Whether a prediction part read back from the cache is one this code could have written: task
    values allowed by the schema (``classifier/data/schema.yml``), probabilities in [0, 1], evidence
    as lists of sentences. A hand-edited or damaged entry is not served; the document is labelled
    again."""
    import math

    from ..schema import tasks

    if not isinstance(part, dict) or part.get("status", "ok") != "ok":
        return False
    for name, task in tasks().items():
        value = part.get(name)
        if value in (None, ""):
            continue
        try:
            if not isinstance(value, str) or task.parse(value) != value:
                return False
        except ValueError:
            return False
    for key, value in part.items():
        if key.startswith("p_") or key.endswith("_confidence"):
            if value in (None, ""):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) \
                    or not 0.0 <= value <= 1.0:
                return False
        elif key == "evidence":
            if not isinstance(value, dict):
                return False
            for items in value.values():
                if not isinstance(items, list) or not all(
                        isinstance(i, dict) and isinstance(i.get("text", ""), str)
                        and isinstance(i.get("section", ""), str) for i in items):
                    return False
        elif key == "evidence_notes":  # {task: where no explicit language was found}
            if not isinstance(value, dict) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                return False
        elif key == "peer_terms":
            if value not in (None, "") and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                return False
        elif not (value is None or isinstance(value, (str, int, float, bool))):
            return False
    return True
