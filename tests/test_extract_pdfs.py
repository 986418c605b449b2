"""Extraction on the 23 real articles in ../shared/pdfs, against the manifest and the publisher XML.

The figures asserted here are the stable ones printed by ``benchmarks/bench_extract.py``.
"""
from __future__ import annotations

import re

import pytest

from classifier.extract import load_document
from helpers import quality
from classifier.extract.sections import IMRAD, TABLES_HEADING

from conftest import PDFS

MANIFEST = quality.read_manifest(PDFS) if (PDFS / "manifest.csv").exists() else []
# Without ../shared there is no manifest: one placeholder case per test, which then fails saying so
# (the docs fixture needs ../shared), rather than every case vanishing from the run.
MISSING = "(../shared/pdfs/manifest.csv not found)"
FILES = [row["file"] for row in MANIFEST] or [MISSING]
ROWS = {row["file"]: row for row in MANIFEST}
XML_FILES = [f for f in FILES if (PDFS / f).with_suffix(".xml").exists()] or [MISSING]
# body text recall / precision against the XML body paragraphs (word multisets), per file
XML_MIN_RECALL = 0.97
XML_MIN_PRECISION = 0.97


@pytest.fixture(scope="session")
def docs(pdf_dir):
    assert len(FILES) == 23, "expected the 23 PDFs of ../shared/pdfs/manifest.csv"
    return {name: load_document(pdf_dir / name) for name in FILES}


@pytest.mark.parametrize("name", FILES)
def test_core_headings_found_in_order(docs, name):
    expected = quality.core_headings(ROWS[name])
    found, total, missing = quality.heading_recall(docs[name], expected)
    assert found == total, f"{name}: missing {missing}"


@pytest.mark.parametrize("name", FILES)
def test_every_manifest_heading_found_in_order(docs, name):
    """Back matter and unlisted headings too ("Trial status", "OUR CONTRIBUTIONS", "Multimedia Appendix 3")."""
    found, total, missing = quality.heading_recall(docs[name], quality.all_headings(ROWS[name]))
    assert found == total, f"{name}: missing {missing}"


def test_core_heading_recall_overall(docs):
    found = total = 0
    for name in FILES:
        f, t, _ = quality.heading_recall(docs[name], quality.core_headings(ROWS[name]))
        found, total = found + f, total + t
    assert total >= 130 and found / total >= 0.95


@pytest.mark.parametrize("name", FILES)
def test_no_running_header_or_footer_inside_sections(docs, pdf_dir, name):
    furniture = quality.furniture_lines(pdf_dir / name)
    assert quality.leaks(docs[name], furniture) == []


@pytest.mark.parametrize("name", XML_FILES)
def test_body_text_against_publisher_xml(docs, pdf_dir, name):
    truth = quality.xml_body_text((pdf_dir / name).with_suffix(".xml"))
    assert len(truth.split()) > 1000
    recall, precision = quality.recall_precision(quality.body_text(docs[name]), truth)
    assert recall >= XML_MIN_RECALL and precision >= XML_MIN_PRECISION, (name, recall, precision)


def test_fifteen_files_have_xml_ground_truth(shared):
    assert len(XML_FILES) == 15 and MISSING not in XML_FILES


@pytest.mark.parametrize("name", FILES)
def test_document_shape(docs, name):
    doc = docs[name]
    names = [s.name for s in doc.sections]
    assert doc.pages == int(ROWS[name]["pages"])
    # every paper has an abstract, labelled or not, before the body
    assert "abstract" in names, name
    assert names.index("abstract") < min(names.index(n) for n in IMRAD if n in names)
    # after the references heading only references and back matter: nothing leaks into the body
    assert "references" in names
    after = names[names.index("references"):]
    assert all(n in ("references", "other") for n in after), after
    # the title is the manifest's title, exactly (article-type labels above it left out,
    # "cluster-randomised" split over two lines keeps its hyphen)
    assert "".join(doc.title.lower().split()) == "".join(ROWS[name]["title"].lower().split()), doc.title
    # sentence offsets point into their section's text
    for section in doc.sections:
        for s in section.sentences:
            assert section.text[s.start:s.end] == s.text
    # no stray layout characters
    assert "\ufffe" not in doc.text and "\u00ad" not in doc.text and "\ufb01" not in doc.text


def test_sentences_do_not_split_after_abbreviations(docs):
    bad = re.compile(r"(\bet al\.|\be\.g\.|\bi\.e\.|\bFig\.|\bFigs\.)$")
    for name, doc in docs.items():
        for section in doc.body_sections():
            for s in section.sentences:
                assert not bad.search(s.text), (name, s.text[-80:])


def test_unlabelled_abstract_keeps_its_run_in_labels(docs):
    abstract = next(s for s in docs["hindawi_pmtct_health_workers.pdf"].sections if s.name == "abstract")
    assert abstract.heading == ""
    assert abstract.text.startswith("Introduction. Proper implementation")
    assert "Materials and Methods." in abstract.text
    bmc = next(s for s in docs["bmc_trials_ears_smoking_recruitment.pdf"].sections if s.name == "abstract")
    assert bmc.text.startswith("Background:") and "Conclusions:" in bmc.text
    # sidebars beside the abstract (author notes, article history) stay out of it
    frontiers = next(s for s in docs["frontiers_psych_canine_cooperation.pdf"].sections if s.name == "abstract")
    assert frontiers.text.startswith("At present, beyond the fact that dogs")
    assert "Edited by" not in frontiers.text and "University of Vienna" not in frontiers.text
    tandf = next(s for s in docs["tandf_hpbm_implementation_intentions.pdf"].sections if s.name == "abstract")
    assert tandf.text.startswith("Objectives: This study evaluated") and "ARTICLE HISTORY" not in tandf.text


def test_download_cover_page_is_skipped(docs):
    doc = docs["tandf_hpbm_implementation_intentions.pdf"]
    assert any("cover page" in w for w in doc.warnings)
    assert "Download by" not in doc.text and "To cite this article" not in doc.text


def test_back_matter_is_other_and_tables_leave_the_body(docs):
    doc = docs["bmc_trials_ears_smoking_recruitment.pdf"]
    by_heading = {s.heading: s.name for s in doc.sections}
    for h in ("Abbreviations", "Competing interests", "Acknowledgements", "Author details"):
        assert by_heading.get(h) == "other", h
    tables = next(s for s in doc.sections if s.heading == TABLES_HEADING)
    assert "Table 6 Participant recruitment by recruitment method" in tables.text
    body = " ".join(s.text for s in doc.sections if s.name in IMRAD)
    assert "Table 6 Participant recruitment" not in body


def test_hyphenated_line_ends_are_joined(docs):
    intro = next(s for s in docs["bmc_trials_ears_smoking_recruitment.pdf"].sections if s.name == "introduction")
    assert "(such as the unemployed, low-skilled manual workers" in intro.text


def test_pdfplumber_engine_gives_the_same_sections(pdf_dir):
    name = "hindawi_case_topiramate_neutropenia.pdf"
    a = load_document(pdf_dir / name, sentences=False)
    b = load_document(pdf_dir / name, engine="pdfplumber", sentences=False)
    assert b.meta["engine"] == "pdfplumber"
    assert [s.heading for s in a.sections if s.name != "other"] == [s.heading for s in b.sections if s.name != "other"]
    r, p = quality.recall_precision(quality.body_text(b), quality.body_text(a))
    assert r > 0.95 and p > 0.95


@pytest.mark.parametrize("name, doi", [
    ("bmjopen_goactive_pilot.pdf", "10.1136/bmjopen-2016-012335"),          # wrapped over two lines
    ("lancet_respir_stopadvisor_rct.pdf", "10.1016/S2213-2600(14)70195-X"),  # brackets kept
    ("plosone_fanged_frog.pdf", "10.1371/journal.pone.0115884"),            # not a supplement's DOI
    ("bmc_trials_ears_smoking_recruitment.pdf", "10.1186/1745-6215-16-1"),  # only in "Cite this article"
    ("hindawi_stillbirth_delays.pdf", "10.1155/2016/1703809"),
])
def test_the_doi_a_pdf_prints_is_read(pdf_dir, name, doi):
    assert load_document(pdf_dir / name, sentences=False).meta["doi"] == doi


def test_find_doi_prefers_a_labelled_doi_and_ignores_references():
    from classifier.extract.doi import find_doi

    assert find_doi(["Cited work 10.1000/abc", "https://doi.org/10.5555/own.2020.1."]) == "10.5555/own.2020.1"
    assert find_doi(["no doi here"], ["1. Smith J. doi:10.1000/other", "unrelated"]) == ""
