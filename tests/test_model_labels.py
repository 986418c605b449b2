"""annotations/labels.csv is rebuilt exactly from ../shared/corpus, keeps label sources apart, no text."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from classifier.model.build_labels import build
from classifier.model.labels import read_labels

REPO = Path(__file__).resolve().parents[1]


def test_labels_csv_is_reproducible_from_the_corpus(corpus_dir):
    labels, manifest = build(corpus_dir)  # with ../shared/pdfs beside the corpus
    committed = pd.read_csv(REPO / "annotations" / "labels.csv", dtype=str, keep_default_na=False)
    assert committed.equals(labels.astype(str))
    assert set(pd.read_csv(REPO / "corpus" / "studies.csv", dtype=str)["id"]) == set(labels["id"])


def test_sources_counts_and_unknowns(corpus_dir):
    lab = read_labels(REPO / "annotations" / "labels.csv")
    stated = lab[lab["role_source"] == "review_stated"]["role"].value_counts().to_dict()
    assert stated == {"peer_support": 36, "pre_determined": 22, "co_creation": 6}
    charted = lab[lab["role_source"] == "charted_abstract"]["role"].value_counts().to_dict()
    assert charted == {"peer_support": 94, "pre_determined": 37, "co_creation": 10}
    assert (lab["role_source"] == "review_inferred").sum() > 0
    assert set(lab.loc[lab["role_source"] == "review_inferred", "role"]) == {"peer_support"}
    out = lab[lab["eligible"] == "false"]   # 58 near-misses + 23 unrelated shared PDFs
    assert len(out) == 81 and out[["role", "phases", "boundary_spanner"]].isna().all().all()
    # the review's implicit boundary spanners are 'false', unstated ones unknown (not 'false')
    assert (lab.loc[lab["boundary_spanner_source"] == "review_stated", "boundary_spanner"] == "false").sum() == 5
    assert lab.loc[lab["boundary_spanner_source"] == "", "boundary_spanner"].isna().all()


def test_no_abstract_text_in_the_repository_files(corpus_dir):
    rows = [json.loads(line) for f in ("studies.jsonl", "charted_studies.jsonl")
            for line in (corpus_dir / f).open(encoding="utf-8") if line.strip()]
    # sentences from the body of each abstract (some abstracts open with the title, a bibliographic fact)
    snippets = [r["abstract"][-160:-60] for r in rows if len(r["abstract"]) > 300]
    for path in (REPO / "annotations" / "labels.csv", REPO / "corpus" / "studies.csv",
                 REPO / "models" / "peer-charting" / "MODEL_CARD.md"):
        text = path.read_text(encoding="utf-8")
        assert not any(s in text for s in snippets), path
