"""Sentence splitting: offsets exact, scholarly abbreviations and decimals kept whole, paragraphs end sentences."""
from __future__ import annotations

import pytest

from classifier.document import Document, Section
from classifier.extract.sentences import add_sentences, split_sentences


def texts(text):
    out = split_sentences(text)
    for s in out:
        assert text[s.start:s.end] == s.text
    return [s.text for s in out]


@pytest.mark.parametrize("text, expected", [
    ("Peer workers were studied by Smith et al. in 2019. They agreed.",
     ["Peer workers were studied by Smith et al. in 2019.", "They agreed."]),
    ("Some roles, e.g. navigation, vary. Others do not.", ["Some roles, e.g. navigation, vary.", "Others do not."]),
    ("See Fig. 2 for the flow. Rates rose by 2.5 times (p < 0.05).",
     ["See Fig. 2 for the flow.", "Rates rose by 2.5 times (p < 0.05)."]),
    ("Staff (i.e. nurses) helped. Done.", ["Staff (i.e. nurses) helped.", "Done."]),
    ("Recruitment rates\n\nInvitations were sent. Replies came back.",
     ["Recruitment rates", "Invitations were sent.", "Replies came back."]),
    ("", []),
    ("   \n ", []),
])
def test_split(text, expected):
    assert texts(text) == expected


def test_add_sentences_fills_every_section():
    doc = Document("x", sections=[Section("abstract", "", "One. Two."), Section("references", "", "")])
    add_sentences(doc)
    assert [s.text for s in doc.sections[0].sentences] == ["One.", "Two."]
    assert doc.sections[1].sentences == []
