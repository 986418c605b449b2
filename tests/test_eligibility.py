"""Eligibility: labels from the corpus and the unrelated PDFs, the fixed criteria, the learned model on
the corpus (unrelated PDFs excluded, reasons from the schema, verbatim evidence), safe persistence,
screening decisions in the label store, and the batch summary. Texts come from ../shared at run time."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from classifier.document import Document
from classifier.model.build_labels import build
from classifier.model.eligibility import (EligibilityModel, is_english, labels_for, merge_into, prisma_counts,
                                          publication_year, default_criteria)
from classifier.schema import eligibility_task, tasks

REPO = Path(__file__).resolve().parents[1]
PEER_ABSTRACT = ("Peer support workers with lived experience of mental illness were employed in two community "
                 "mental health teams. We interviewed 14 peer workers and 20 staff members about their roles. "
                 "Peer workers described building trust with service users and linking them to services.")


@pytest.fixture(scope="module")
def corpus_docs(corpus_dir, pdf_dir):
    from classifier.model.texts import load_texts

    docs, problems = load_texts([corpus_dir / "studies.jsonl", corpus_dir / "charted_studies.jsonl", pdf_dir])
    assert not problems, problems
    return docs


@pytest.fixture(scope="module")
def labels(corpus_dir, pdf_dir):
    return build(corpus_dir, pdf_dir)[0]


def test_schema_has_the_screening_task_and_its_reasons():
    task = eligibility_task()
    assert task.name == "eligible" and task.kind == "binary" and "eligible" in tasks()
    assert set(task.reasons) == {"youth", "unpaid", "self_help", "consumer_run", "research_only", "not_empirical",
                                 "other_condition", "student_peers", "older_adults", "not_peer_worker", "pre2010",
                                 "not_english", "off_topic"}
    assert task.parse_reason("Self-help") == "self_help" and task.parse_reason("") is None
    with pytest.raises(ValueError, match="not an exclusion reason"):
        task.parse_reason("too long")


def test_labels_keep_eligibility_sources_apart(labels, corpus_dir, pdf_dir):
    charted = [json.loads(line) for line in (corpus_dir / "charted_studies.jsonl").open(encoding="utf-8") if line.strip()]
    near = {c["id"]: c["scope_category"] for c in charted if not c["in_scope"]}
    lab = labels.set_index("id")
    assert (lab.loc[list(near), "eligible"] == "false").all()
    assert all(lab.loc[i, "exclusion_reason"] == (r if r in eligibility_task().reasons else "") for i, r in near.items())
    assert (lab.loc[list(near), "eligible_source"] == "charted_abstract").all()
    pdfs = pd.read_csv(pdf_dir / "manifest.csv", dtype=str)["file"].str.replace(".pdf", "", regex=False)
    assert len(pdfs) == 23
    assert (lab.loc[list(pdfs), "exclusion_reason"] == "off_topic").all()
    assert (lab.loc[list(pdfs), "eligible_source"] == "unrelated_pdf").all()
    review = lab[lab["label_set"] == "review"]
    assert (review.loc[review["included_confidence"] == "certain", "eligible"] == "true").all()
    # a citation the review may not include is unknown, never 'true'
    assert (review.loc[review["included_confidence"] == "uncertain", "eligible"] == "").all()
    # an eligible study has no reason; an excluded one's charting labels stay empty
    assert (lab.loc[lab["eligible"] == "true", "exclusion_reason"] == "").all()
    assert (lab.loc[lab["eligible"] == "false", ["role", "phases", "boundary_spanner"]] == "").all().all()


def test_fixed_criteria_year_language():
    old = Document.from_record("old_2006", "Consumer providers on case management teams", PEER_ABSTRACT, year="2006")
    assert publication_year(old)[0] == 2006
    pdf_like = Document.from_record("x", "A title", "Some text. Copyright © 2008 Elsevier Ltd. All rights reserved.")
    assert publication_year(pdf_like)[0] == 2008
    german = Document.from_record("de", "Peer support in psychiatry",
                                  "Die Genesungsbegleiter wurden in der psychiatrischen Versorgung eingesetzt und "
                                  "mit den Teams verglichen. Die Ergebnisse zeigen, dass die Arbeit der Begleiter "
                                  "von den Patienten und von den Mitarbeitern geschätzt wird, auch wenn es für die "
                                  "Integration in die Teams noch keine klare Rolle gibt.")
    crit = default_criteria()
    assert not is_english(german, crit)
    assert is_english(Document.from_record("en", "Peer workers", PEER_ABSTRACT), crit)


@pytest.fixture(scope="module")
def fitted(corpus_docs, labels):
    """Fitted on everything but a held-out fifth (every fifth study in id order), fixed settings."""
    y, reasons = labels_for(corpus_docs, labels)
    known = [i for i, v in enumerate(y) if v]
    held = set(sorted((corpus_docs[i].id for i in known))[::5])
    train = [i for i in known if corpus_docs[i].id not in held]
    model = EligibilityModel(C=1.0, use_tfidf=False, inner_folds=3).fit(
        [corpus_docs[i] for i in train], [y[i] for i in train], [reasons[i] for i in train])
    test = [i for i in known if corpus_docs[i].id in held]
    return model, [corpus_docs[i] for i in test], [y[i] for i in test]


def test_model_excludes_unrelated_pdfs_and_fixed_criteria(fitted, pdf_dir):
    from classifier.model.texts import load_texts

    model, _, _ = fitted
    docs, _ = load_texts([pdf_dir])
    rows = model.predict_rows(docs)
    assert [r["eligible"] for r in rows] == ["false"] * len(docs)
    reasons = [r["exclusion_reason"] for r in rows]
    # a trial protocol or a meta-analysis that mentions peers is excluded as not empirical, the rest off topic
    assert set(reasons) <= {"off_topic", "not_empirical"} and reasons.count("off_topic") >= 18
    made = [
        Document.from_record("old", "Peer specialists on adult mental health teams", PEER_ABSTRACT, year="2007"),
        Document.from_record("rev", "Peer support workers in mental health services: a scoping review", PEER_ABSTRACT),
        Document.from_record("ok", "Peer support workers in community mental health teams", PEER_ABSTRACT, year="2019"),
    ]
    rows = model.predict_rows(made)
    assert [(r["eligible"], r["exclusion_reason"]) for r in rows[:2]] == [("false", "pre2010"), ("false", "not_empirical")]
    assert rows[0]["p_eligible"] == 0.0
    assert rows[2]["eligible"] == "true" and rows[2]["exclusion_reason"] == "" and rows[2]["p_eligible"] > model.threshold_


def test_title_and_lead_state_the_population_and_design(fitted):
    """The criteria read where a study says whom it is about: its title and its lead (the abstract's first
    sentences and its aim sentence). A youth service or volunteer peers stated there count as stated
    exclusions and lower p_eligible against the same abstract about an adult service; a study's own
    procedure called a protocol is not a protocol paper, a protocol for a trial is."""
    model, _, _ = fitted
    adult = Document.from_record("adult", "Peer support workers in adult community mental health teams", PEER_ABSTRACT, year="2019")
    youth = Document.from_record("youth", "Youth peer support workers in child and adolescent mental health services",
                                 PEER_ABSTRACT, year="2019")
    volunteer = Document.from_record(
        "vol", "Peer support in community mental health teams",
        "This study explored the experiences of volunteer peer supporters in community mental health teams. "
        + PEER_ABSTRACT, year="2019")
    table, _ = model._table([adult, youth, volunteer])
    assert list(table["title_excluded"]) == [0.0, 1.0, 0.0]
    assert table.loc[2, "lead_excluded"] == 1.0 and table.loc[0, "lead_excluded"] == 0.0
    assert table.loc[2, "lead_unpaid"] > 0 and table.loc[0, "lead_unpaid"] == 0
    p = model.predict_proba([adult, youth, volunteer])[:, 1]
    assert p[1] < p[0] and p[2] < p[0]
    own = Document.from_record("own", "Developing a peer support protocol for improving engagement in therapy",
                               PEER_ABSTRACT, year="2019")
    trial = Document.from_record("trial", "Peer support workers in mental health teams: protocol for a randomised trial",
                                 PEER_ABSTRACT, year="2019")
    rows = model.predict_rows([own, trial])
    assert rows[1]["exclusion_reason"] == "not_empirical" and rows[1]["p_eligible"] == 0.0
    assert model._table([own])[0].loc[0, "crit_not_empirical"] == 0.0


def test_model_on_held_out_corpus_studies(fitted):
    model, docs, truth = fitted
    rows = model.predict_rows(docs)
    pred = np.array([r["eligible"] for r in rows])
    truth = np.array(truth)
    assert np.mean(pred[truth == "true"] == "true") >= 0.85
    assert np.mean(pred[truth == "false"] == "false") >= 0.6
    by_id = {d.id: d for d in docs}
    for doc, r in zip(docs, rows):
        assert 0.0 <= r["p_eligible"] <= 1.0
        if r["eligible"] == "false":
            assert r["exclusion_reason"] in eligibility_task().reasons
        for item in r["evidence"]:  # verbatim sentences of the document
            section = next(s for s in by_id[doc.id].sections if s.name == item["section"])
            assert section.text[item["start"]:item["end"]] == item["text"]


def test_model_is_sklearn_clonable_and_persists_safely(fitted, tmp_path):
    from sklearn.base import clone

    from classifier.model.persist import _skops_io, check_trusted

    model, docs, _ = fitted
    assert clone(model).get_params()["C"] == 1.0
    sio = _skops_io()
    path = tmp_path / "elig.skops"
    path.write_bytes(sio.dumps(model))
    loaded = sio.load(str(path), trusted=check_trusted(path))
    assert [r["eligible"] for r in loaded.predict_rows(docs[:5])] == [r["eligible"] for r in model.predict_rows(docs[:5])]


def test_merge_marks_charting_labels_of_excluded_studies_for_checking():
    preds = [{"id": "a", "status": "ok", "role": "peer_support", "role_status": "confident", "evidence": {}},
             {"id": "b", "status": "ok", "role": "peer_support", "role_status": "confident", "evidence": {}}]
    rows = [{"eligible": "false", "p_eligible": 0.1, "exclusion_reason": "youth", "evidence": []},
            {"eligible": "true", "p_eligible": 0.9, "exclusion_reason": "", "evidence": []}]
    merge_into(preds, rows)
    assert preds[0]["role_status"] == "check" and preds[0]["exclusion_reason"] == "youth"
    assert preds[1]["role_status"] == "confident" and preds[1]["eligible"] == "true"
    counts = prisma_counts(preds + [{"status": "error"}])
    assert counts == {"assessed": 2, "eligible": 1, "excluded": 1, "reasons": {"youth": 1}}


def test_store_records_an_exclusion_with_its_reason(tmp_path, labels):
    from classifier.review.store import LabelStore, eligibility_decisions

    path = tmp_path / "labels.csv"
    labels.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    store = LabelStore(path)
    study = labels.loc[labels["eligible"] == "", "id"].iloc[0]   # a study of unknown eligibility
    result = store.record(eligibility_decisions(study, "false", "older adults", "rev1", "test"))
    assert result.ok and len(result.applied) == 2
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).set_index("id")
    assert frame.loc[study, "eligible"] == "false" and frame.loc[study, "exclusion_reason"] == "older_adults"
    assert frame.loc[study, "eligible_source"] == "reviewed"
    log = store.log()
    assert [(r["task"], r["new"]) for r in log[-2:]] == [("eligible", "false"), ("exclusion_reason", "older_adults")]
    with pytest.raises(ValueError, match="needs a reason"):
        eligibility_decisions(study, "false", "", "rev1", "test")
    with pytest.raises(ValueError, match="not an exclusion reason"):
        store.record(eligibility_decisions(study, "false", "boring", "rev1", "test"))
    # a charted exclusion is a human label: a different reason is a conflict, kept for a decision
    near = labels.loc[labels["exclusion_reason"] == "youth", "id"].iloc[0]
    result = store.record(eligibility_decisions(near, "false", "unpaid", "rev2", "test"))
    assert [c.task for c in result.conflicts] == ["exclusion_reason"]
    assert pd.read_csv(path, dtype=str, keep_default_na=False).set_index("id").loc[near, "exclusion_reason"] == "youth"


def test_cross_validation_with_baselines_and_report_section(corpus_docs, labels):
    from classifier.evaluate.eligibility import cross_validate
    from classifier.evaluate.report import render

    lab = labels.set_index("id")
    known = [d for d in corpus_docs if d.id in lab.index]
    pick = ([d for d in known if lab.loc[d.id, "eligible"] == "true"][:30]
            + [d for d in known if lab.loc[d.id, "eligible_source"] == "charted_abstract"
               and lab.loc[d.id, "eligible"] == "false"][:30]
            + [d for d in known if lab.loc[d.id, "eligible_source"] == "unrelated_pdf"][:9])
    res = cross_validate(pick, labels, folds=3, repeats=1, params={"C": 1.0})
    model = res["eligible"]["model"]
    assert model["n"] == len(pick) and set(model["per_class"]) == {"true", "false"}
    assert set(res["eligible"]["baselines"]) == {"majority", "peer_terms", "rules"}
    assert res["eligible"]["baselines"]["majority"]["per_class"]["false"]["recall"] == 0.0
    groups = res["groups"]["model"]
    assert (groups["in_scope"]["n"], groups["near_miss"]["n"], groups["unrelated_pdf"]["n"]) == (30, 30, 9)
    assert groups["unrelated_pdf"]["decided_right"] >= 8 / 9   # (trained on 6 of them each time)
    assert groups["near_miss"]["decided_right"] > res["groups"]["peer_terms"]["near_miss"]["decided_right"]
    assert len(res["settings"]) == 3 and all("threshold" in s for s in res["settings"])
    # the report's eligibility section (the charting part of the report needs its own results: stubbed empty)
    details = {"eligibility": {k: res[k] for k in ("groups", "reasons", "settings", "folds", "repeats")}}
    from classifier.evaluate import report

    section = report.eligibility_section({"eligible": res["eligible"]}, details)
    assert "near-misses excluded" in section and "peer_terms" in section


def test_predict_fills_the_eligibility_columns_and_counts_exclusions(corpus_dir, pdf_dir, tmp_path):
    """A mixed batch (near-misses, in-scope abstracts, an unrelated PDF) with the shipped model."""
    import csv
    import subprocess
    import sys

    rows = [json.loads(line) for line in (corpus_dir / "charted_studies.jsonl").open(encoding="utf-8") if line.strip()]
    chosen = [r for r in rows if not r["in_scope"]][:4] + [r for r in rows if r["in_scope"]][:4]
    records = tmp_path / "search.jsonl"
    records.write_text("".join(json.dumps({k: r[k] for k in ("id", "title", "abstract", "year")}) + "\n"
                               for r in chosen), encoding="utf-8")
    out = tmp_path / "pred.csv"
    r = subprocess.run([sys.executable, str(REPO / "predict.py"), str(records), str(pdf_dir / "plosone_fanged_frog.pdf"),
                        "--out", str(out), "--jsonl", str(tmp_path / "pred.jsonl"), "--xlsx", str(tmp_path / "pred.xlsx")],
                       capture_output=True, text=True, cwd=REPO, timeout=600)
    assert r.returncode == 0, r.stderr
    got = {row["id"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
    assert len(got) == 9
    for row in got.values():
        assert row["eligible"] in ("true", "false") and 0.0 <= float(row["p_eligible"]) <= 1.0
        assert (row["exclusion_reason"] in eligibility_task().reasons) == (row["eligible"] == "false")
    assert (got["plosone_fanged_frog"]["eligible"], got["plosone_fanged_frog"]["exclusion_reason"]) == ("false", "off_topic")
    excluded = sum(row["eligible"] == "false" for row in got.values())
    assert f"screening: 9 assessed for eligibility, {9 - excluded} eligible, {excluded} excluded" in r.stderr
    jsonl = [json.loads(line) for line in (tmp_path / "pred.jsonl").read_text("utf-8").splitlines()]
    assert all("eligible" in j["evidence"] for j in jsonl)
    from openpyxl import load_workbook

    header = [c.value for c in next(load_workbook(tmp_path / "pred.xlsx").active.iter_rows(max_row=1))]
    assert {"eligible", "exclusion reason", "evidence: eligible"} <= set(header)
