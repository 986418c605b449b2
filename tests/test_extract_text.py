"""Plain-text input: headings from numbered, all-caps or known lines; encodings detected."""
from __future__ import annotations

import pytest

from classifier.extract import ExtractionError, load_document
from classifier.extract.cli import main as extract_main

PAPER = """Peer workers in community mental health teams

Abstract
Background: Peer workers are increasingly employed. Methods: We interviewed 20 staff.
Results: Roles were unclear. Conclusions: Clearer roles help.

1. Introduction
Peer support workers (PSWs) draw on lived experience, e.g. of psychosis, as described by Smith et al. 2019.
Their numbers grew by 2.5 times (Fig. 2).

2. Materials and Methods
We ran semi-structured inter-
views with staff.

RESULTS
Three themes emerged.

Discussion
The findings agree with earlier work.

Acknowledgements
We thank the participants.

References
1. Smith J. Peer work. 2019.
"""


def test_txt_sections(tmp_path):
    p = tmp_path / "paper.txt"
    p.write_text(PAPER, encoding="utf-8")
    doc = load_document(p)
    names = [s.name for s in doc.sections]
    assert names == ["title", "abstract", "introduction", "methods", "results", "discussion", "other", "references"]
    assert doc.title == "Peer workers in community mental health teams"
    by = {s.name: s for s in doc.sections}
    assert "Methods: We interviewed" in by["abstract"].text  # run-in labels stay in the abstract
    assert by["methods"].heading == "2. Materials and Methods"
    assert "semi-structured interviews" in by["methods"].text  # line-end hyphen joined
    assert doc.pages == 0 and doc.warnings == []
    # sentences: offsets into their section, abbreviations and decimals do not split
    intro = by["introduction"]
    assert [s.text for s in intro.sentences] == [
        "Peer support workers (PSWs) draw on lived experience, e.g. of psychosis, as described by Smith et al. 2019.",
        "Their numbers grew by 2.5 times (Fig. 2).",
    ]
    for section in doc.sections:
        for s in section.sentences:
            assert section.text[s.start:s.end] == s.text


def test_txt_without_headings_is_one_other_section(tmp_path):
    p = tmp_path / "note.txt"
    p.write_text("Just a paragraph about peer workers.\nIt has two lines.\n", encoding="utf-8")
    doc = load_document(p)
    assert [s.name for s in doc.sections] == ["other"]
    assert doc.sections[0].text == "Just a paragraph about peer workers. It has two lines."
    assert any("no section headings" in w for w in doc.warnings)


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_non_utf8_text_is_detected(tmp_path, encoding):
    p = tmp_path / f"legacy-{encoding}.txt"
    body = ("Introduction\nLes pairs aidants travaillent dans les équipes de santé mentale à Montréal; "
            "leur rôle est décrit comme « médiateur » entre les usagers et les équipes soignantes.\n")
    p.write_bytes(body.encode(encoding))
    doc = load_document(p)
    assert "équipes de santé mentale à Montréal" in doc.text
    assert any(w.startswith("not UTF-8: decoded as") for w in doc.warnings)


def test_bad_text_files(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n\n", encoding="utf-8")
    with pytest.raises(ExtractionError, match=r"^empty\.txt: empty file$"):
        load_document(empty)
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x00\x01\x02binary\x00" * 50)
    with pytest.raises(ExtractionError, match=r"^blob\.txt: not a text file"):
        load_document(binary)
    assert extract_main([str(binary)]) == 1


def test_cli_json_for_text(tmp_path, capsys):
    import json

    p = tmp_path / "paper.txt"
    p.write_text(PAPER, encoding="utf-8")
    assert extract_main([str(p), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"source", "pages", "sections", "warnings"}
    assert data["sections"][2] == {"name": "introduction", "heading": "1. Introduction",
                                   "text": data["sections"][2]["text"]}
