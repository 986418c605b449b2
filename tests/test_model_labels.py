"""The shipped labels are rebuilt from ../shared/corpus, keep label sources apart and hold no text.

Read from the build, never from annotations/labels.csv: that file holds the user's decisions once they
save some."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from classifier.model.build_labels import build
from classifier.io.labels import read_labels

REPO = Path(__file__).resolve().parents[1]


def test_build_writes_the_labels_and_manifest_reproducibly(corpus_dir, tmp_path):
    from classifier.model.build_labels import main

    args = ["--corpus", str(corpus_dir), "--labels", str(tmp_path / "labels.csv"),
            "--manifest", str(tmp_path / "studies.csv")]
    assert main(args) == 0
    first = (tmp_path / "labels.csv").read_bytes()
    assert main(args) == 0 and (tmp_path / "labels.csv").read_bytes() == first
    labels, _ = build(corpus_dir)
    written = pd.read_csv(tmp_path / "labels.csv", dtype=str, keep_default_na=False)
    assert written.equals(labels.astype(str))
    assert set(pd.read_csv(tmp_path / "studies.csv", dtype=str)["id"]) == set(labels["id"])


def test_sources_counts_and_unknowns(shipped_labels, corpus_dir):
    lab = read_labels(shipped_labels)
    stated = lab[lab["role_source"] == "review_stated"]["role"].value_counts().to_dict()
    assert stated == {"peer_support": 36, "pre_determined": 22, "co_creation": 6}
    charted = lab[lab["role_source"] == "charted_abstract"]["role"].value_counts().to_dict()
    rows = [json.loads(line) for line in (corpus_dir / "charted_studies.jsonl").open(encoding="utf-8") if line.strip()]
    in_scope = [r for r in rows if str(r.get("in_scope")).lower() == "true"]
    assert charted == pd.Series([r["role"] for r in in_scope]).value_counts().to_dict()
    assert set(charted) == {"peer_support", "pre_determined", "co_creation"}
    assert (lab["role_source"] == "review_inferred").sum() > 0
    assert set(lab.loc[lab["role_source"] == "review_inferred", "role"]) == {"peer_support"}
    out = lab[(lab["eligible"] == "false") & (lab["eligible_source"] == "charted_abstract")]
    near_misses = sum(1 for line in (corpus_dir / "charted_studies.jsonl").open(encoding="utf-8")
                      if line.strip() and str(json.loads(line).get("in_scope")).lower() != "true")
    assert len(out) == near_misses and out[["role", "phases", "boundary_spanner"]].isna().all().all()
    # the unrelated shared PDFs are excluded too, and carry no charting labels
    pdfs = lab[lab["eligible_source"] == "unrelated_pdf"]
    assert len(pdfs) == 23 and (pdfs["exclusion_reason"] == "off_topic").all()
    assert pdfs[["role", "phases", "boundary_spanner"]].isna().all().all()
    # the review's implicit boundary spanners are 'false', unstated ones unknown (not 'false')
    assert (lab.loc[lab["boundary_spanner_source"] == "review_stated", "boundary_spanner"] == "false").sum() == 5
    assert lab.loc[lab["boundary_spanner_source"] == "", "boundary_spanner"].isna().all()


def test_no_abstract_text_in_the_repository_files(corpus_dir, shipped_labels):
    rows = [json.loads(line) for f in ("studies.jsonl", "charted_studies.jsonl")
            for line in (corpus_dir / f).open(encoding="utf-8") if line.strip()]
    # sentences from the body of each abstract (some abstracts open with the title, a bibliographic fact)
    snippets = [r["abstract"][-160:-60] for r in rows if len(r["abstract"]) > 300]
    for path in (shipped_labels, REPO / "corpus" / "studies.csv",
                 REPO / "models" / "peer-charting" / "MODEL_CARD.md"):
        text = path.read_text(encoding="utf-8")
        assert not any(s in text for s in snippets), path
