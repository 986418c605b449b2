"""Evaluation inputs: labelled Documents and, where a records file carries the start of the body
(``more_text`` in ``studies.jsonl``), a second version of the same study with that body text as an
``introduction`` section, to measure the abstract/full-text gap."""
from __future__ import annotations

import json
from pathlib import Path

from ..document import Document, Section

BODY_KEYS = ("more_text", "body", "full_text")


def body_variants(paths, documents: list[Document]) -> dict[str, Document]:
    """{id: Document with title + abstract + body} for the documents whose record has body text."""
    by_id = {d.id: d for d in documents}
    out: dict[str, Document] = {}
    for obj in _jsonl_objects(paths):
        if not isinstance(obj, dict):
            continue
        rid = str(obj.get("id", ""))
        body = next((str(obj[k]) for k in BODY_KEYS if obj.get(k)), "")
        if rid in by_id and body.strip() and rid not in out:
            doc = by_id[rid]
            out[rid] = Document(source=doc.source, id=rid, sections=[
                *(Section(s.name, s.heading, s.text) for s in doc.sections),
                Section("introduction", "", body.strip())], meta=dict(doc.meta))
    return out


QUOTE_KEYS = ("evidence",)


def charter_quotes(paths) -> dict[str, list[str]]:
    """{id: [quote, ...]}: the verbatim passages a charter quoted for each study (the ``evidence`` field of
    a records ``.jsonl`` such as ``charted_studies.jsonl``; ``evaluate.evidence.split_quotes``)."""
    from .evidence import split_quotes

    out: dict[str, list[str]] = {}
    for obj in _jsonl_objects(paths):
        if not isinstance(obj, dict) or not obj.get("id"):
            continue
        quotes = next((split_quotes(obj[k]) for k in QUOTE_KEYS if obj.get(k)), [])
        if quotes and str(obj["id"]) not in out:
            out[str(obj["id"])] = quotes
    return out


def _jsonl_objects(paths):
    """Every JSON object line of the ``.jsonl`` files among ``paths`` (other files and bad lines skipped)."""
    for raw in paths:
        path = Path(raw)
        if path.suffix.lower() != ".jsonl" or not path.is_file():
            continue
        with path.open(encoding="utf-8-sig", errors="replace") as fh:
            for line in fh:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue
