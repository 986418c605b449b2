"""Evidence ranking by codebook cues (features/cues.py, model/evidence.py) on real corpus abstracts and
on small texts written here; the overlap measure against the charters' quotes (evaluate/evidence.py)."""
from __future__ import annotations

import re

import pytest

from classifier.document import Document, Section
from classifier.evaluate.data import charter_quotes
from classifier.evaluate.evidence import matches, overlap, overlap_figures, split_quotes
from classifier.features.cues import cue_scorer
from classifier.io import read_records
from classifier.model.evidence import EvidenceRanker
from classifier.review.strategies import doubtful_evidence

ROLE_P = {"p_role_pre_determined": 0.1, "p_role_peer_support": 0.8, "p_role_co_creation": 0.1}


def doc(abstract: str, title: str = "Peer workers in a community mental health service", **meta) -> Document:
    d = Document.from_record("x", title, abstract)
    d.meta.update(meta)
    return d


def pred(role="peer_support", phases="delivery", bs="true", **probs) -> dict:
    p = {"role": role, "phases": phases, "boundary_spanner": bs, **ROLE_P,
         "p_phase_commissioning": 0.01, "p_phase_design": 0.05, "p_phase_delivery": 0.99, "p_phase_assessment": 0.02}
    p.update(probs)
    return p


@pytest.fixture(scope="module")
def corpus(corpus_dir):
    recs = [r for r in read_records(corpus_dir / "charted_studies.jsonl") if not r.error]
    return {r.id: r for r in recs}


def test_peers_as_actor_outrank_keyword_hits_not_about_peers():
    text = ("This study aimed to bridge research and practice in mental health services. "
            "Clinics were linked to a regional data system. "
            "Peer navigators helped clients connect with housing and primary care services and advocated for them. "
            "Thematic analysis was performed on the interview transcripts.")
    out = EvidenceRanker(3).explain(doc(text), pred())
    bs = out["evidence"]["boundary_spanner"]
    assert bs[0]["text"].startswith("Peer navigators helped clients connect")
    assert bs[0]["kind"] == "support"
    # "bridge research and practice" and a clinic "linked" to a data system are not about peers
    assert all("bridge research" not in e["text"] and "data system" not in e["text"] for e in bs)


def test_methods_sentences_rank_last_for_role():
    text = ("Thematic analysis of the peer workers' interviews was performed using their lived experience accounts. "
            "Peer workers drew on their own lived experience to offer hope and mutual understanding to service users.")
    role = EvidenceRanker(3).explain(doc(text), pred())["evidence"]["role"]
    assert role[0]["text"].startswith("Peer workers drew on their own lived experience")
    assert role[-1]["text"].startswith("Thematic analysis")


def test_each_phase_gets_its_own_labelled_sentence_not_the_role_sentence():
    text = ("Peer workers co-designed the new crisis service with managers in a planning group. "
            "Peer workers then delivered the service to people in crisis, offering support at home. "
            "Peer workers also helped develop and plan the training of new staff. "
            "Peer workers shared their lived experience and hope with service users.")
    out = EvidenceRanker(3).explain(doc(text), pred(role="co_creation", phases="design;delivery",
                                                   p_phase_design=0.7, p_role_co_creation=0.7))
    role_top = out["evidence"]["role"][0]["text"]
    phases = [e for e in out["evidence"]["phases"] if e["kind"] == "support"]
    first = {}
    for e in phases:
        first.setdefault(e["label"], e["text"])
    assert set(first) == {"design", "delivery"}
    assert "delivered the service" in first["delivery"]
    # the role's top sentence is the best design sentence too, but another one shows design
    assert "planning group" in role_top and "develop and plan" in first["design"]
    assert role_top not in first.values()
    # with nothing else to show design, the role sentence is reused rather than leaving design bare
    alone = EvidenceRanker(3).explain(doc(text.replace("Peer workers also helped develop and plan the training of "
                                                       "new staff. ", "")),
                                      pred(role="co_creation", phases="design;delivery", p_phase_design=0.7,
                                           p_role_co_creation=0.7))["evidence"]
    assert [e["text"] for e in alone["phases"] if e["label"] == "design"][0] == alone["role"][0]["text"]


def test_a_negative_shows_its_two_best_candidates_and_says_so():
    text = ("Peer support workers were employed on three inpatient wards. "
            "Staff described their role as linking research and practice. "
            "Peer support workers shared their own experience of recovery with patients.")
    out = EvidenceRanker(3).explain(doc(text), pred(bs="false"))
    bs = out["evidence"]["boundary_spanner"]
    assert 1 <= len(bs) <= 2 and all(e["kind"] == "candidate" for e in bs)
    assert out["evidence_notes"]["boundary_spanner"].startswith("no explicit boundary-spanner language found")


def test_a_negative_read_from_an_abstract_says_the_full_text_may_differ():
    """Boundary spanning is charted from full texts; from a title and abstract, `false` means only that
    they do not say so. A text with a body says nothing of the kind."""
    from classifier.document import Section

    text = "Peer support workers were employed on three inpatient wards and shared their own recovery."
    short = EvidenceRanker(3).explain(doc(text), pred(bs="false"))["evidence_notes"]["boundary_spanner"]
    assert "in the title and abstract; the full text may have it" in short
    full = doc(text)
    full.sections.append(Section("results", "Results", "Peer workers met patients weekly on the wards."))
    long = EvidenceRanker(3).explain(full, pred(bs="false"))["evidence_notes"]["boundary_spanner"]
    assert long.startswith("no explicit boundary-spanner language found") and "full text" not in long


def test_graded_best_scores_differ_between_near_misses():
    strong = doc("Peer navigators linked clients to services and brokered trust between patients and clinicians.")
    weak = doc("The hospital was linked to a regional data network. Peer workers were employed on the wards.")
    none = doc("Peer workers were employed on the wards. Peer workers shared their own recovery story.")
    s = [cue_scorer().best_scores(d)["boundary_spanner:true"] for d in (strong, weak, none)]
    assert s[0] > s[1] > s[2] == 0.0


def test_boundary_language_needs_a_side_and_is_never_self_advocacy():
    """Boundary spanning is a position between the people served and services: the same word without
    either side counts less, and participants' self-advocacy is not the peer worker's bridging."""
    best = lambda text: cue_scorer().best_scores(doc(text))["boundary_spanner:true"]   # noqa: E731
    between = best("Peer specialists helped clients navigate the housing system.")
    no_side = best("Peer specialists described navigating their new roles after certification.")
    assert between > no_side > 0.0
    # the peer worker's own job hunt is another sense of the word (the lexicon's not_in)
    assert best("Peer specialists described navigating the job market after certification.") == 0.0
    assert best("The peer-led course improved patient self-advocacy with their doctors.") == 0.0
    assert best("Peer workers advocated for clients with their doctors.") >= 1.0   # a full cue, peers acting


def test_counter_evidence_for_the_runner_up_role():
    text = ("Peer specialists delivered a manualised illness management programme with fidelity monitoring. "
            "Peer specialists drew on their own lived experience to offer hope and mutual support.")
    out = EvidenceRanker(3).explain(doc(text), pred(role="pre_determined", p_role_pre_determined=0.6,
                                                   p_role_peer_support=0.35, p_role_co_creation=0.05))
    role = out["evidence"]["role"]
    assert role[0]["kind"] == "support" and "manualised" in role[0]["text"]
    counters = [e for e in role if e["kind"] == "counter"]
    assert len(counters) == 1 and counters[0]["label"] == "peer_support" and "lived experience" in counters[0]["text"]


def test_truncated_source_marks_the_last_sentence():
    text = "Peer workers linked clients to housing services. Peer workers shared their own experience of"
    out = EvidenceRanker(3).explain(doc(text, truncated=True), pred())
    items = [e for t in ("role", "phases", "boundary_spanner") for e in out["evidence"][t]]
    assert any(e.get("truncated") for e in items if e["text"].endswith("experience of"))
    assert not any(e.get("truncated") for e in items if e["text"].endswith("housing services."))


def test_all_neutral_evidence_is_doubtful():
    text = "The hospital opened three new wards in 2015. Nurses reported the changes in a survey of staff."
    p = pred(bs="false")
    p.update(EvidenceRanker(3).explain(doc(text, title="Ward changes"), p))
    p["status"] = "ok"
    assert doubtful_evidence(p)
    good = pred()
    good.update(EvidenceRanker(3).explain(doc("Peer navigators linked clients to services and shared their lived "
                                              "experience with them."), good))
    assert not doubtful_evidence(good)


def test_corpus_evidence_is_verbatim_clean_and_every_phase_has_a_sentence(corpus):
    ranker = EvidenceRanker(3)
    glued = re.compile(r"(?:Background|Methods?|Results|Conclusions?|Objectives?|Aims?|Purpose|Findings)"
                       r"(?::|\s+[A-Z])")   # "Results Results from ...", "Methods: ..." (not "Results should ...")
    n = 0
    for rid, rec in list(corpus.items())[:80]:
        if not (rec.title or rec.abstract):
            continue
        d = rec.to_document()
        sections = {s.name: s.text for s in d.sections}
        p = pred(phases="design;delivery", p_phase_design=0.6)
        out = ranker.explain(d, p)
        for task, items in out["evidence"].items():
            for e in items:
                assert sections[e["section"]][e["start"]:e["end"]] == e["text"]
                assert not glued.match(e["text"]), e["text"]
        got = {e["label"] for e in out["evidence"]["phases"]}
        assert {"design", "delivery"} <= got or "phases" in out["evidence_notes"], rid
        n += 1
    assert n >= 60


def test_charter_quotes_and_overlap(corpus_dir, corpus):
    quotes = charter_quotes([corpus_dir / "charted_studies.jsonl"])
    assert len(quotes) >= 140
    some = next(iter(quotes.values()))
    assert all(q and not q.startswith('"') for q in some)
    # a quoted clause matches the sentence that holds it; sentences sharing only function words do not
    assert overlap("Peer workers linked clients to housing services in the city.", "linked clients to housing services") == 1.0
    assert not matches("The study was done in the city.", ["Peer workers linked clients to housing services"])
    assert split_quotes('"one two three"; "four five six"') == ["one two three", "four five six"]
    assert split_quotes('"called \u201cmembers,\u201d in a program"; "second quote here"') == [
        "called \u201cmembers,\u201d in a program", "second quote here"]
    preds = [{"id": "a", "status": "ok", "boundary_spanner": "true",
              "evidence": {"role": [{"text": "Peer workers linked clients to housing services."}],
                           "phases": [], "boundary_spanner": [{"text": "Nothing of the kind here at all."}]}}]
    figs = overlap_figures(preds, {"a": ["linked clients to housing services"]}, {"a": "true"})
    assert figs["role_top1"] == {"n": 1, "hits": 1, "rate": 1.0}
    assert figs["phase_top1"]["hits"] == 0 and figs["bs_true_top1"]["hits"] == 0


def test_evidence_kinds_notes_and_cut_offs_reach_every_output(corpus_dir, tmp_path):
    import json

    from classifier.io.columns import evidence_text as cell
    from classifier.io.predictions import read_predictions
    from classifier.review.queuefile import QUEUE_COLUMNS, queue_rows

    # records files carry the "truncated" flag of the corpus into the Document
    recs = [r for r in read_records(corpus_dir / "charted_studies.jsonl") if not r.error]
    cut = [r for r in recs if r.extra.get("truncated")]
    assert cut and all(r.to_document().meta.get("truncated") is True for r in cut)
    assert not any(r.to_document().meta.get("truncated") for r in recs if not r.extra.get("truncated"))

    p = {"id": "a", "status": "ok", **pred(bs="false")}
    p.update(EvidenceRanker(3).explain(doc("Peer workers were employed on the wards. Staff linked the ward to a "
                                           "research network. Peer workers shared their own story of",
                                           truncated=True), p))
    text = cell(p["evidence"]["boundary_spanner"], notes=p["evidence_notes"]["boundary_spanner"])
    assert "closest, not explicit" in text and "(no explicit boundary-spanner language found" in text
    role_cell = cell(p["evidence"]["role"])
    assert "story of\u2026" in role_cell and "cut off in the source" in role_cell
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(p) + "\n", encoding="utf-8")
    back, problems = read_predictions(path)
    assert not problems
    item = back[0]["evidence"]["boundary_spanner"][0]
    assert item["kind"] == "candidate" and back[0]["evidence_notes"]["boundary_spanner"]
    row = queue_rows(back, [(0, 0.5)], "margin")[0]
    assert "evidence_check" in QUEUE_COLUMNS
    assert "no explicit boundary-spanner language found" in row["boundary_spanner_evidence"]
