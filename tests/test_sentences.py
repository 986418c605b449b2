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


def test_add_sentences_fills_the_content_sections():
    doc = Document("x", sections=[Section("abstract", "", "One. Two."), Section("references", "", "Ref one. Ref two."),
                                  Section("other", "Funding", "Grant one. Grant two.")])
    add_sentences(doc)
    assert [s.text for s in doc.sections[0].sentences] == ["One.", "Two."]
    # references and back matter never feed features or evidence: not split unless asked
    assert doc.sections[1].sentences == [] and doc.sections[2].sentences == []
    add_sentences(doc, all_sections=True)
    assert [s.text for s in doc.sections[1].sentences] == ["Ref one.", "Ref two."]
    assert [s.text for s in doc.sections[2].sentences] == ["Grant one.", "Grant two."]


def test_add_sentences_splits_a_headingless_text():
    doc = Document("x", sections=[Section("other", "", "All of it. No headings.")])
    add_sentences(doc)
    assert [s.text for s in doc.sections[0].sentences] == ["All of it.", "No headings."]


@pytest.mark.parametrize("text, expected", [
    # a structured-abstract label run into its first sentence is cut off (once: "Results Results from")
    ("Results Results from 20 interviews show peers link clients. Conclusions: Peers help people.",
     ["Results from 20 interviews show peers link clients.", "Peers help people."]),
    ("Background\nPeer support is growing. METHODS: We interviewed 20 staff.",
     ["Peer support is growing.", "We interviewed 20 staff."]),
    ("ABSTRACT Background: Peer support is growing fast.", ["Peer support is growing fast."]),
    ("ResultsThe clients cared for by peers did well. Design and settingThis was a cohort study.",
     ["The clients cared for by peers did well.", "This was a cohort study."]),
    # a loose label only with ":" / a line break / capitals: "Design Thinking" is a sentence's subject
    ("Design Thinking was used in three sites. DESIGN A qualitative study of staff.",
     ["Design Thinking was used in three sites.", "A qualitative study of staff."]),
    ("Participants were aged 65. They agreed.", ["Participants were aged 65.", "They agreed."]),
    # inline lists are split into their items
    ("Three themes emerged: (1) building trust with clients; (2) navigating the system; and (3) advocating.",
     ["Three themes emerged:", "(1) building trust with clients;", "(2) navigating the system; and", "(3) advocating."]),
    ("Themes were: 1. Trust building 2. System navigation 3. Advocacy for clients.",
     ["Themes were:", "1. Trust building", "2. System navigation", "3. Advocacy for clients."]),
    ("Key messages: \u2022 Peers were valued; \u2022 Roles were unclear.",
     ["Key messages:", "\u2022 Peers were valued;", "\u2022 Roles were unclear."]),
    # citations and p-values are not lists
    ("As shown before (1), peers help (3). Rates fell (p < 0.05).", ["As shown before (1), peers help (3).", "Rates fell (p < 0.05)."]),
])
def test_clean_sentences(text, expected):
    assert texts(text) == expected


def test_a_title_is_one_sentence(corpus_dir):
    from classifier.extract.sentences import section_sentences
    from classifier.io import read_records

    title = "Peer support: does it work? A randomised trial of peer workers"
    assert [s.text for s in section_sentences(Section("title", "", title))] == [title]
    # on the corpus: every title with "?" stays whole in the sentences features and evidence read
    from classifier.features.table import _sentences_of

    n = 0
    for rec in read_records(corpus_dir / "charted_studies.jsonl"):
        if rec.title and "?" in rec.title.rstrip("?"):
            doc = rec.to_document()
            sents = _sentences_of(doc.sections[0])
            assert [s.text for s in sents] == [doc.sections[0].text]
            n += 1
    assert n >= 1


def test_licence_and_correspondence_lines_never_feed_features_or_evidence(pdf_dir):
    from classifier.extract import load_document
    from classifier.extract.sentences import content_sentences, is_boilerplate

    text = ("Peer workers co-designed the intake with staff.\n\n* Correspondence: jo@uni.edu.au 1 School of Health. "
            "This is an Open Access article distributed under the terms of the Creative Commons Attribution "
            "License. Peer workers led the groups.")
    kept = [s.text for s in content_sentences(text)]
    assert kept == ["Peer workers co-designed the intake with staff.", "Peer workers led the groups."]
    assert not is_boilerplate("Peer workers bridged services and the people using them.")
    for name in ("bmc_trials_dolce_protocol.pdf", "rsp_adolescent_hypertension_review.pdf", "rsos_panda_milk.pdf"):
        doc = load_document(pdf_dir / name)
        sentences = [s.text for section in doc.content_sections() for s in section.sentences]
        assert sentences and not any(is_boilerplate(s) for s in sentences), name
        assert not any("Creative Commons" in s or "Correspondence" in s for s in sentences), name
