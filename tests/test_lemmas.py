"""The lookup_lemmas component and the tokens shared between the sentence splitter and the matchers."""
import json

import pytest
import spacy
from spacy.tokens import Doc

from classifier.extract.sentences import analyse, get_nlp, split_sentences
from classifier.features.lexicons import Lexicon
from classifier.features.rules import RuleMatcher

@pytest.fixture(scope="module")
def abstracts(corpus_dir):
    rows = [json.loads(line) for line in (corpus_dir / "studies.jsonl").read_text("utf-8").splitlines()
            if line.strip()]
    return [r["abstract"] for r in rows if r.get("abstract")][:40]


def test_same_lemmas_as_spacys_lookup_lemmatizer_on_lower_cased_words(abstracts):
    nlp = get_nlp()
    reference = spacy.blank("en")
    lemmatizer = reference.add_pipe("lemmatizer", config={"mode": "lookup"})
    reference.initialize()
    for text in abstracts:
        ours = nlp.get_pipe("lookup_lemmas")(nlp.make_doc(text))
        theirs = lemmatizer(Doc(reference.vocab, words=[t.lower_ for t in ours]))  # the same tokens, lower-cased
        assert [t.lemma_ for t in ours] == [t.lemma_ for t in theirs]


def test_capitalised_words_get_the_lemma_of_the_lower_cased_word():
    doc = analyse("Bridging services. Navigators linked Clients.")
    assert [t.lemma_ for t in doc][:5] == ["bridge", "service", ".", "navigator", "link"]


def test_matchers_reuse_the_sentence_splitters_tokens():
    text = "Peer workers bridged the gap between clients and services. They advocated for them."
    split_sentences(text)
    assert analyse(text) is analyse(text)  # the same Doc, not tokenized again


def test_terms_match_in_any_case_and_across_a_missing_space():
    matcher = RuleMatcher([Lexicon(name="bs", terms=["bridge", "peer navigator"], patterns=[[{"ORTH": "across"}, {"LEMMA": "system"}]])])
    text = "Results.BRIDGING the gap, Peer Navigators worked Across Systems."
    found = {(m.lexicon, text[m.start:m.end]) for m in matcher.match_many([text])[0]}
    assert found == {("bs", "BRIDGING"), ("bs", "Peer Navigators"), ("bs", "Across Systems")}


def test_anchored_token_patterns_find_what_the_full_matcher_finds(abstracts):
    from classifier.features.lexicons import load_lexicons

    matcher = RuleMatcher(load_lexicons())
    matcher._build()
    assert matcher.anchors is not None  # the packaged patterns all start with a fixed word
    found = 0
    for text in abstracts + ["Peer workers translated the jargon of clinicians between both worlds, "
                             "a connection with local community services, working across the health system."]:
        doc = analyse(text)
        full = sorted(matcher.matcher(doc), key=lambda h: (h[1], h[2], h[0]))
        assert matcher._pattern_hits(doc) == full
        found += len(full)
    assert found >= 2


def test_a_pattern_without_a_fixed_first_word_runs_the_full_matcher():
    lex = Lexicon(name="x", terms=["peer"], patterns=[[{"LEMMA": "peer", "OP": "?"}, {"LEMMA": "worker"}]])
    matcher = RuleMatcher([lex])
    found = matcher.match_many(["The worker and the peer worker."])[0]
    assert matcher.anchors is None
    assert [(m.start, m.end) for m in found] == [(4, 10), (19, 30)]  # "worker", "peer worker"


def test_forget_recent_drops_the_kept_docs():
    from classifier.extract.sentences import forget_recent

    text = "Navigators accompanied clients to appointments. They linked them to housing."
    kept = analyse(text)
    forget_recent()
    again = analyse(text)
    assert again is not kept and [t.lemma_ for t in again] == [t.lemma_ for t in kept]
