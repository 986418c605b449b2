"""The lookup_lemmas component and the tokens shared between the sentence splitter and the matchers."""
import json
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc

from classifier.extract.sentences import get_nlp, lemmatize, split_sentences
from classifier.features.lexicons import Lexicon
from classifier.features.rules import RuleMatcher

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "studies.jsonl"


@pytest.fixture(scope="module")
def abstracts():
    if not CORPUS.exists():
        pytest.skip("shared corpus not available")
    rows = [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines() if line.strip()]
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
    doc = lemmatize("Bridging services. Navigators linked Clients.")
    assert [t.lemma_ for t in doc][:5] == ["bridge", "service", ".", "navigator", "link"]


def test_matchers_reuse_the_sentence_splitters_tokens():
    text = "Peer workers bridged the gap between clients and services. They advocated for them."
    split_sentences(text)
    assert lemmatize(text) is lemmatize(text)  # the same Doc, not tokenized again


def test_terms_match_in_any_case_and_across_a_missing_space():
    matcher = RuleMatcher([Lexicon(name="bs", terms=["bridge", "peer navigator"], patterns=[[{"ORTH": "across"}, {"LEMMA": "system"}]])])
    text = "Results.BRIDGING the gap, Peer Navigators worked Across Systems."
    found = {(m.lexicon, text[m.start:m.end]) for m in matcher.match_many([text])[0]}
    assert found == {("bs", "BRIDGING"), ("bs", "Peer Navigators"), ("bs", "Across Systems")}
