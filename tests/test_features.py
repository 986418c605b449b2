"""Rule features from the lexicon files and the document table, on real abstracts and made-up text."""
from __future__ import annotations

import math
import shutil

import pytest

from classifier.document import Document, Section
from classifier.features import LexiconError, RuleMatcher, featurize, load_lexicons
from classifier.features.lexicons import Lexicon, default_dir
from classifier.io import read_records


def test_packaged_lexicons_cover_the_codebook_cues():
    lex = {lx.name: lx for lx in load_lexicons()}
    assert {"boundary_spanning", "manualised", "peer_support", "co_creation", "design", "commissioning",
            "assessment"} <= set(lex)
    assert "broker" in lex["boundary_spanning"].terms and "fidelity" in lex["manualised"].terms
    assert "planning group" in lex["co_creation"].terms


def test_terms_match_on_lemmas_whatever_the_case():
    m = RuleMatcher(load_lexicons())
    text = "Bridging the gap, Peer Navigators navigated services. The programme was Manualised and Co-designed."
    [matches] = m.match_many([text])
    found = {(x.lexicon, text[x.start:x.end]) for x in matches}
    assert ("boundary_spanning", "Bridging the gap") in found      # longest span wins
    assert ("boundary_spanning", "navigated") in found
    assert ("manualised", "Manualised") in found
    assert ("co_creation", "Co-designed") in found
    assert all(text[x.start:x.end] for x in matches)


def test_token_pattern_matches():
    m = RuleMatcher(load_lexicons())
    [matches] = m.match_many(["Peers connected clients with community treatment services."])
    assert any(x.lexicon == "boundary_spanning" for x in matches)


def test_adding_a_term_to_a_lexicon_file_changes_the_features(tmp_path):
    lexdir = tmp_path / "lexicons"
    shutil.copytree(default_dir(), lexdir)
    doc = Document.from_record("x", "A study", "The workers acted as ombudsmen for patients.")
    before = featurize([doc], RuleMatcher(load_lexicons(lexdir))).frame.loc[0, "rule_boundary_spanning_front"]
    path = lexdir / "boundary_spanning.yml"
    path.write_text(path.read_text().replace("  - bridge\n", "  - bridge\n  - ombudsman\n"))
    after = featurize([doc], RuleMatcher(load_lexicons(lexdir))).frame.loc[0, "rule_boundary_spanning_front"]
    assert before == 0 and after > 0


def test_bad_lexicon_file_is_named(tmp_path):
    (tmp_path / "broken.yml").write_text("name: broken\nterms: [unclosed\n")
    with pytest.raises(LexiconError, match=r"broken\.yml.*not valid YAML"):
        load_lexicons(tmp_path)
    (tmp_path / "broken.yml").write_text("name: Bad Name\nterms: [a]\n")
    with pytest.raises(LexiconError, match="broken.yml: name"):
        load_lexicons(tmp_path)
    with pytest.raises(LexiconError, match="no such lexicon directory"):
        load_lexicons(tmp_path / "missing")


def test_references_and_back_matter_never_feed_features():
    m = RuleMatcher(load_lexicons())
    base = [Section("title", "", "Peer workers in a clinic"), Section("abstract", "Abstract", "We studied peer workers.")]
    plain = Document(source="a.pdf", id="a", sections=base)
    noisy = Document(source="b.pdf", id="b", sections=base + [
        Section("references", "References", "Navigating and bridging: brokering trust. Advocacy and liaison."),
        Section("other", "Funding", "Funding board of directors, advocacy grant.")])
    f = featurize([plain, noisy], m)
    cols = [c for c in f.frame.columns if c.startswith("rule_")]
    assert f.frame.loc[0, cols].tolist() == f.frame.loc[1, cols].tolist()
    assert {i.section for i in f.sentences[1]} == {"title", "abstract"}


def test_full_text_uses_body_for_rule_density_and_front_for_words(corpus_dir):
    m = RuleMatcher(load_lexicons())
    rec = next(r for r in read_records(corpus_dir / "studies.jsonl") if r.abstract)
    doc = rec.to_document()
    body = Section("results", "Results", "Peer workers helped clients navigate services. " * 5)
    full = Document(source="f.pdf", id=doc.id, sections=list(doc.sections) + [body])
    a, b = featurize([doc, full], m).frame.iloc[0], featurize([doc, full], m).frame.iloc[1]
    assert a["front"] == b["front"]
    assert b["rule_boundary_spanning_all"] > a["rule_boundary_spanning_all"]
    # sentence offsets are verbatim into their section
    infos = featurize([full], m).sentences[0]
    texts = {s.name: s.text for s in full.sections}
    assert all(texts[i.section][i.sentence.start:i.sentence.end] == i.sentence.text for i in infos)
    assert any(i.section == "results" and i.matches for i in infos)


def test_document_without_abstract_falls_back_to_opening_body():
    m = RuleMatcher(load_lexicons())
    doc = Document(source="t.txt", id="t", sections=[Section("introduction", "", "Peer navigators linked people to care.")])
    row = featurize([doc], m).frame.iloc[0]
    assert "Peer navigators" in row["front"]


def test_combined_lexicons_add_both_present_features():
    m = RuleMatcher(load_lexicons())
    assert ("design", "co_creation") in m.pairs
    both = Document.from_record("a", "Co-designed services", "Peers co-designed and planned the new service.")
    one = Document.from_record("b", "Planning services", "Managers planned the new service.")
    f = featurize([both, one], m).frame
    assert f.loc[0, "rule_design+co_creation_front"] > 0
    assert f.loc[1, "rule_design+co_creation_front"] == 0 and f.loc[1, "rule_design_front"] > 0


def test_combine_must_name_a_known_lexicon(tmp_path):
    (tmp_path / "a.yml").write_text("name: a\nterms: [x]\ncombine: [nowhere]\n")
    with pytest.raises(LexiconError, match="unknown lexicons: nowhere"):
        load_lexicons(tmp_path)


def test_very_long_sections_are_matched_in_pieces_with_true_offsets():
    m = RuleMatcher(load_lexicons())
    para = "Peer workers helped people navigate services and acted as advocates.\n"
    text = para * 6000  # ~420,000 characters: more than one piece
    [matches] = m.match_many([text])
    adv = [x for x in matches if text[x.start:x.end] == "advocates"]
    assert len(adv) == 6000 and adv[-1].start > 400_000
    assert all(text[x.start:x.end] for x in matches)


def test_near_lexicons_count_sentences_holding_both(tmp_path):
    (tmp_path / "act.yml").write_text("name: act\nterms: [link]\nnear: [who]\n")
    (tmp_path / "who.yml").write_text("name: who\nterms: [peer]\n")
    m = RuleMatcher(load_lexicons(tmp_path))
    assert m.near == [("act", "who")]
    doc = Document.from_record("n", "Linking work", "Peer workers linked clients to care. Scores were linked to "
                               "outcomes. Peers were valued.")
    f = featurize([doc], m)
    row = f.frame.loc[0]
    assert row["rule_act_front"] == pytest.approx(math.log1p(3))          # title + two sentences
    assert row["rule_act@who_front"] == pytest.approx(math.log1p(1))      # only "Peer workers linked ..."
    assert row["rule_act@who_all"] > 0
    from classifier.features.table import sentence_frame

    per_sentence = sentence_frame(f.sentences[0], m.names, m.pairs, m.near)
    both = [info.sentence.text for info, v in zip(f.sentences[0], per_sentence["rule_act@who_front"]) if v > 0]
    assert both == ["Peer workers linked clients to care."]
    (tmp_path / "act.yml").write_text("name: act\nterms: [link]\nnear: [nobody]\n")
    with pytest.raises(LexiconError, match="'near' names unknown lexicons: nobody"):
        load_lexicons(tmp_path)


@pytest.mark.parametrize("text, expected", [
    ("Transcripts were translated into English and analysed.", False),
    ("Peer workers translate between the worlds of clinicians and clients.", True),
    ("Participants reported improved connection with community-based services.", True),
    # the codebook's words only: working across systems or supporting a transition is not, by itself,
    # boundary-spanner language
    ("Peer specialists worked across multiple systems.", False),
    ("Peers supported the transition from hospital to community.", False),
    ("Peer navigators linked patients to primary care and advocated for them with clinic staff.", True),
    # participants' self-advocacy and linked records are not the peer worker's position (not_in)
    ("The peer-led course improved patients' self-advocacy.", False),
    ("Outcomes came from record linkage of hospital data.", False),
    # the words in other senses: supporters of peer work, a recommendation, the peer's own career
    ("Peer support is strongly advocated as a strategy in health policy.", False),
    ("Managers advocating for peer work supported the new roles.", False),
    ("Peer specialists described navigating the job market after certification.", False),
    ("Technological factors act as bridges and boundaries to peer support services.", False),
    ("Peer specialists advocated for clients at court hearings.", True),
])
def test_boundary_lexicon_reads_the_codebook_senses(text, expected):
    [matches] = RuleMatcher(load_lexicons()).match_many([text])
    assert any(x.lexicon == "boundary_spanning" for x in matches) == expected, matches


def test_not_in_phrases_stop_a_match_inside_them_only(tmp_path):
    (tmp_path / "cc.yml").write_text("name: cc\nterms: [decision making, board]\n"
                                     "not_in:\n  - shared decision making\n")
    [m1, m2] = RuleMatcher(load_lexicons(tmp_path)).match_many(
        ["Peers sat on the board and shared in decision making.", "A shared decision making aid was used."])
    assert [x.lexicon for x in m1] == ["cc", "cc"] and m2 == []
    # the packaged co-creation lexicon: clinical shared decision-making is not co-creation
    [m] = RuleMatcher(load_lexicons()).match_many(["Peers supported shared decision-making with psychiatrists."])
    assert not any(x.lexicon == "co_creation" for x in m)
    (tmp_path / "cc.yml").write_text("name: cc\nterms: [board]\nnot_in: shared decision\n")
    with pytest.raises(LexiconError, match="'not_in' must be a list"):
        load_lexicons(tmp_path)


def test_shows_names_the_label_values_a_lexicon_marks(tmp_path):
    by_name = {lx.name: lx for lx in load_lexicons()}
    assert by_name["manualised"].shows == (("role", "pre_determined"),)
    assert ("role", "co_creation") in by_name["design"].shows and by_name["boundary_spanning"].shows == ()
    assert Lexicon.from_dict(by_name["design"].to_dict()) == by_name["design"]
    (tmp_path / "m.yml").write_text("name: m\nterms: [manual]\nshows: {role: [pre_determined, peer_support]}\n")
    assert load_lexicons(tmp_path)[0].shows == (("role", "pre_determined"), ("role", "peer_support"))
    (tmp_path / "m.yml").write_text("name: m\nterms: [manual]\nshows: pre_determined\n")
    with pytest.raises(LexiconError, match="'shows' must map a task"):
        load_lexicons(tmp_path)


def test_shared_analysis_splits_each_text_once_and_changes_nothing():
    from classifier.features import tfidf

    texts = ["Peer workers bridged services.", "Navigators linked clients to care.", "Peer workers bridged services."]
    a = tfidf.CompactTfidfVectorizer(ngram_range=(1, 2)).fit(texts)
    b = tfidf.CompactTfidfVectorizer(ngram_range=(1, 2)).fit(texts[:2])
    plain = [a.transform(texts).toarray(), b.transform(texts).toarray()]
    calls = []
    original = tfidf.TfidfVectorizer.build_analyzer

    def counting(self):
        analyze = original(self)
        return lambda doc: calls.append(doc) or analyze(doc)

    tfidf.TfidfVectorizer.build_analyzer = counting
    try:
        with tfidf.shared_analysis():
            shared = [a.transform(texts).toarray(), b.transform(texts).toarray()]
    finally:
        tfidf.TfidfVectorizer.build_analyzer = original
    assert sorted(calls) == sorted(set(texts))  # each distinct text analysed once for both vectorizers
    for x, y in zip(plain, shared):
        assert (x == y).all()
