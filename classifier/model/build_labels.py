"""Build ``annotations/labels.csv`` and ``corpus/studies.csv`` reproducibly from ``../shared/corpus``.

    python -m classifier.model.build_labels [--corpus ../shared/corpus] [--labels annotations/labels.csv]
                                            [--manifest corpus/studies.csv]

Labels and where each comes from (``<task>_source``):

- ``review_stated``: the review's text states it (``seed_labels.csv``; charted from full texts).
- ``review_inferred``: inferred from the review's counts: a named, certainly included study with no stated
  role is peer support (145 of 172; the review names nearly every pre-determined and co-creation study),
  and a study with no stated phases is delivery only (the review: every other study is delivery only).
  Uncertain rows (``included_confidence = uncertain``) get no inferred labels.
- ``charted_abstract``: charted from the abstract with the codebook (``charted_studies.jsonl``).

``boundary_spanner``: explicit -> true; implicit/absent -> false; not said -> empty (unknown).

``eligible`` / ``exclusion_reason`` (``eligible_source``):

- ``review_included``: a study the review certainly includes -> true (its uncertain citations: unknown).
- ``charted_abstract``: judged from the abstract with the codebook's criteria -> true, or false with the
  near-miss's ``scope_category`` as the reason (a category outside the schema's reasons: reason empty).
- ``unrelated_pdf``: the shared PDFs (``../shared/pdfs/manifest.csv``, id = file name without ``.pdf``),
  articles on other topics collected for extraction tests -> false, ``off_topic``.

Near-misses (``eligible`` false) have empty charting labels, so that nobody trains a role on them.
No abstract or article text is written: only ids, bibliographic facts and labels.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import pandas as pd

from ..io.cells import csv_cell
from ..schema import REASON_COLUMN, eligibility_task, task_names, tasks

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
STATED, INFERRED, CHARTED = "review_stated", "review_inferred", "charted_abstract"
INCLUDED, UNRELATED_PDF = "review_included", "unrelated_pdf"
LABEL_COLUMNS = ["id", *task_names(), REASON_COLUMN, *(f"{t}_source" for t in task_names()), "label_set",
                 "included_confidence", "charting_confidence", "role_secondary", "text_file", "notes"]


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def build(corpus: Path, pdfs: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Labels and manifest from the corpus and the unrelated shared PDFs (``pdfs``: default
    ``corpus/../pdfs``; a missing manifest there is an error, so a short build never passes unnoticed)."""
    T = tasks()
    reasons = eligibility_task().reasons
    seed = pd.read_csv(corpus / "seed_labels.csv", dtype=str, keep_default_na=False)
    studies = {r["id"]: r for r in _jsonl(corpus / "studies.jsonl")}
    charted = _jsonl(corpus / "charted_studies.jsonl")
    rows, manifest = [], []
    for r in seed.to_dict("records"):
        certain = r.get("included_confidence", "") == "certain"
        row = dict.fromkeys(LABEL_COLUMNS, "")
        row.update(id=r["id"], label_set="review", included_confidence=r["included_confidence"],
                   role_secondary=_cell(r.get("role_secondary")),
                   text_file="studies.jsonl" if r["id"] in studies else "")
        role = T["role"].parse(r.get("role"))
        if role:
            row.update(role=role, role_source=STATED)
        elif certain:
            row.update(role="peer_support", role_source=INFERRED)
        phases = T["phases"].parse(r.get("phases"))
        if phases:
            row.update(phases=phases, phases_source=STATED)
        elif certain:
            row.update(phases="delivery", phases_source=INFERRED)
        bs = T["boundary_spanner"].parse(r.get("boundary_spanner"))
        if bs:
            row.update(boundary_spanner=bs, boundary_spanner_source=STATED)
        if certain:
            row.update(eligible="true", eligible_source=INCLUDED)
        notes = []
        if not certain:
            notes.append("may not be an included study (review cites it outside the Findings)")
        if role == "pre_determined" and row["role_secondary"]:
            notes.append("review cites it under two roles")
        row["notes"] = "; ".join(notes)
        rows.append(row)
        s = studies.get(r["id"], {})
        manifest.append({"id": r["id"], "doi": _cell(r.get("doi")) or _cell(s.get("doi")), "year": _cell(r.get("year")),
                         "title": _cell(r.get("title")) or _cell(s.get("title")), "journal": _cell(r.get("journal")),
                         "label_set": "review", "text_source": "studies.jsonl" if s else "none (no abstract found)",
                         "text_url": _cell(s.get("source_url")), "has_body_start": "true" if s.get("more_text") else "false"})
    for c in charted:
        in_scope = bool(c.get("in_scope"))
        row = dict.fromkeys(LABEL_COLUMNS, "")
        row.update(id=c["id"], eligible="true" if in_scope else "false", eligible_source=CHARTED, label_set="charted",
                   charting_confidence=_cell(c.get("confidence")), role_secondary=_cell(c.get("role_secondary")),
                   text_file="charted_studies.jsonl")
        if in_scope:
            for task in task_names():
                value = T[task].parse(c.get(task))
                if value:
                    row[task], row[f"{task}_source"] = value, CHARTED
            note = _cell(c.get("charting_note"))
            row["notes"] = note[:300]
        else:
            category = _cell(c.get("scope_category"))
            row["exclusion_reason"] = category if category in reasons else ""
            row["notes"] = "out of scope: " + (category or _cell(c.get("scope_reason")).split(":")[0])
        rows.append(row)
        manifest.append({"id": c["id"], "doi": _cell(c.get("doi")), "year": _cell(c.get("year")),
                         "title": _cell(c.get("title")), "journal": _cell(c.get("journal")), "label_set": "charted",
                         "text_source": "charted_studies.jsonl", "text_url": _cell(c.get("source_url")),
                         "has_body_start": "false"})
    pdfs = Path(pdfs) if pdfs is not None else corpus.parent / "pdfs"
    listing = pd.read_csv(pdfs / "manifest.csv", dtype=str, keep_default_na=False)
    for r in listing.to_dict("records"):
        sid = Path(r["file"]).stem
        row = dict.fromkeys(LABEL_COLUMNS, "")
        row.update(id=sid, eligible="false", exclusion_reason="off_topic", eligible_source=UNRELATED_PDF,
                   label_set="pdfs", text_file=f"pdfs/{r['file']}",
                   notes="an article on another topic among the shared PDFs")
        rows.append(row)
        manifest.append({"id": sid, "doi": "", "year": _cell(r.get("year")), "title": _cell(r.get("title")),
                         "journal": _cell(r.get("journal")), "label_set": "pdfs", "text_source": f"pdfs/{r['file']}",
                         "text_url": "", "has_body_start": "true"})
    labels = pd.DataFrame(rows, columns=LABEL_COLUMNS)
    if labels["id"].duplicated().any():
        raise ValueError(f"duplicate ids: {sorted(labels.loc[labels['id'].duplicated(), 'id'])}")
    return labels, pd.DataFrame(manifest)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m classifier.model.build_labels", description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    ap.add_argument("--labels", default=str(REPO / "annotations" / "labels.csv"))
    ap.add_argument("--manifest", default=str(REPO / "corpus" / "studies.csv"))
    ap.add_argument("--pdfs", default=None, help="the shared PDFs directory with manifest.csv (default: CORPUS/../pdfs)")
    args = ap.parse_args(argv)
    corpus = Path(args.corpus)
    for name in ("seed_labels.csv", "studies.jsonl", "charted_studies.jsonl"):
        if not (corpus / name).is_file():
            print(f"error: {corpus / name}: not found", file=sys.stderr)
            return 2
    pdfs = Path(args.pdfs) if args.pdfs else corpus.parent / "pdfs"
    if not (pdfs / "manifest.csv").is_file():
        print(f"error: {pdfs / 'manifest.csv'}: not found", file=sys.stderr)
        return 2
    labels, manifest = build(corpus, pdfs)
    for frame, out in ((labels, Path(args.labels)), (manifest, Path(args.manifest))):
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        frame = frame.map(lambda v: csv_cell(v) if isinstance(v, str) else v)  # no live formulas
        frame.to_csv(tmp, index=False, quoting=csv.QUOTE_MINIMAL, encoding="utf-8", lineterminator="\n")
        tmp.replace(out)
        print(f"wrote {out} ({len(frame)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
