"""OCR of scanned pages, on scans made here from the shared PDFs: their pages are rendered to grey
images (200-300 dpi, some slightly rotated and speckled like a photocopy), wrapped as image-only
PDFs, read back through OCR and compared with the born-digital pages (words and section headings).

Tesseract must be installed (`.ci/run` installs it): these tests fail, not skip, without it.
OCR costs seconds per page, so the scans are few pages."""
from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import pytest

from classifier.extract import ExtractionError, load_document
from helpers.quality import CORE, recall_precision
from helpers.scans import born_digital, scan

STILLBIRTH = "hindawi_stillbirth_delays.pdf"   # two columns, numbered headings
FROG = "plosone_fanged_frog.pdf"               # one wide column, a side margin, sans-serif headings
TRIALS = "bmc_trials_dolce_protocol.pdf"


@pytest.fixture(scope="module", autouse=True)
def tesseract_installed():
    from classifier.extract.ocr import tesseract

    if tesseract() is None:
        pytest.fail("Tesseract with English data is needed for the OCR tests "
                    "(apt-get install tesseract-ocr tesseract-ocr-eng; .ci/run installs it)")


def word_recall(truth, ocr) -> float:
    return recall_precision(ocr.text, truth.text)[0]


def core_headings(doc) -> list[tuple[str, str]]:
    return [(s.name, " ".join(s.heading.lower().split())) for s in doc.sections if s.name in CORE and s.heading]


def heading_recall(truth, ocr) -> float:
    """Share of the born-digital core headings found, in order, among the OCR'd document's."""
    expected, found = core_headings(truth), core_headings(ocr)
    hits, k = 0, 0
    for heading in expected:
        if heading in found[k:]:
            k = found.index(heading, k) + 1
            hits += 1
    return hits / len(expected)


@pytest.fixture(scope="module")
def stillbirth_scan(pdf_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ocr")
    truth = load_document(born_digital(pdf_dir / STILLBIRTH, [1, 2, 3], folder / "pages.pdf"), ocr="never")
    return truth, scan(pdf_dir / STILLBIRTH, [1, 2, 3], folder / "scan.pdf", dpi=300)


def test_a_clean_scan_reads_like_the_born_digital_pages(stillbirth_scan):
    truth, path = stillbirth_scan
    doc = load_document(path, timeout=0)
    assert doc.ocr_pages == [1, 2, 3] and doc.pages == 3
    assert any("page(s) 1-3 read by OCR" in w for w in doc.warnings), doc.warnings
    assert word_recall(truth, doc) >= 0.95
    assert len(core_headings(truth)) == 4  # introduction, methods, results, discussion
    assert heading_recall(truth, doc) >= 0.9, (core_headings(truth), core_headings(doc))
    assert [s.name for s in doc.sections][:3] == [s.name for s in truth.sections][:3] == ["title", "other", "abstract"]
    assert doc.title == truth.title
    methods = next(s for s in doc.sections if s.name == "methods")
    assert methods.sentences and all(methods.text[s.start:s.end] == s.text for s in methods.sentences)


def test_a_rotated_speckled_200_dpi_scan_through_extract_json(pdf_dir, tmp_path):
    from classifier.extract.cli import main

    truth = load_document(born_digital(pdf_dir / FROG, [3], tmp_path / "page.pdf"), ocr="never")
    path = scan(pdf_dir / FROG, [3], tmp_path / "photocopy.pdf", dpi=200, angle=1.0, noise=12)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main([str(path), "--json", "--timeout", "0"]) == 0
    data = json.loads(out.getvalue())
    assert data["ocr_pages"] == [1]
    assert any("read by OCR" in w for w in data["warnings"])
    doc = load_document(path, timeout=0)
    assert word_recall(truth, doc) >= 0.95
    assert ("results", "results") in core_headings(truth)
    assert heading_recall(truth, doc) >= 0.9, (core_headings(truth), core_headings(doc))


def test_only_the_scanned_page_of_a_mixed_pdf_is_ocrd(pdf_dir, tmp_path):
    import pypdfium2 as pdfium

    original = pdfium.PdfDocument(str(pdf_dir / TRIALS))
    stamp = "Downloaded from the university repository by a reviewer on 12 May 2020. Not for redistribution."
    scanned = pdfium.PdfDocument(str(scan(pdf_dir / TRIALS, [2], tmp_path / "p2.pdf", dpi=250, angle=-0.6,
                                          stamp=stamp)))
    mixed = pdfium.PdfDocument.new()
    mixed.import_pages(original, [0])
    mixed.import_pages(scanned, [0])
    mixed.import_pages(original, [2])
    mixed.save(str(tmp_path / "mixed.pdf"))
    truth = load_document(born_digital(pdf_dir / TRIALS, [1, 2, 3], tmp_path / "pages.pdf"), ocr="never")

    doc = load_document(tmp_path / "mixed.pdf", timeout=0)
    assert doc.ocr_pages == [2]
    assert any(w.startswith("page(s) 2 read by OCR") for w in doc.warnings), doc.warnings
    assert word_recall(truth, doc) >= 0.97
    assert heading_recall(truth, doc) >= 0.9, (core_headings(truth), core_headings(doc))

    never = load_document(tmp_path / "mixed.pdf", ocr="never")
    assert never.ocr_pages == []
    assert word_recall(truth, never) < 0.8  # the scanned page's words are missing without OCR

    # --ocr always reads the born-digital pages by OCR too
    assert load_document(tmp_path / "mixed.pdf", ocr="always", sentences=False, timeout=0).ocr_pages == [1, 2, 3]


def test_scans_without_ocr_or_without_tesseract_get_clear_messages(stillbirth_scan, pdf_dir, monkeypatch):
    from classifier.extract import ocr

    _, path = stillbirth_scan
    with pytest.raises(ExtractionError, match=r"^scan\.pdf: no text layer \(image-only scan; OCR is off: use --ocr auto\)$"):
        load_document(path, ocr="never")
    with pytest.raises(ValueError, match="unknown OCR mode"):
        load_document(path, ocr="sometimes")

    monkeypatch.setenv("PEER_CHARTING_TESSERACT", "no-such-tesseract-program")
    ocr.tesseract.cache_clear()
    try:
        with pytest.raises(ExtractionError) as caught:
            load_document(path, timeout=0)
        message = str(caught.value)
        assert message.startswith("scan.pdf: no text layer (image-only scan); OCR needs Tesseract")
        assert "apt-get install tesseract-ocr tesseract-ocr-eng" in message and "\n" not in message
        assert ocr.fingerprint("auto").endswith("no tesseract")
        # born-digital PDFs do not need it
        doc = load_document(pdf_dir / STILLBIRTH, sentences=False)
        assert doc.ocr_pages == [] and any(s.name == "methods" for s in doc.sections)
    finally:
        monkeypatch.delenv("PEER_CHARTING_TESSERACT")
        ocr.tesseract.cache_clear()
    assert ocr.fingerprint("auto") != ocr.fingerprint("always") != ocr.fingerprint("never")


def test_ocr_stops_at_the_time_limit(stillbirth_scan):
    import time

    _, path = stillbirth_scan
    started = time.monotonic()
    with pytest.raises(ExtractionError, match=r"took longer than 2 s \(time limit\) at page 1"):
        load_document(path, timeout=2.0)
    assert time.monotonic() - started < 60  # Tesseract is stopped, not waited for (~4 s a page on a quiet machine)
    with pytest.raises(ExtractionError, match="more than the limit of 2"):
        load_document(path, max_pages=2)


def test_predict_reads_scans_in_its_workers_and_caches_by_ocr_mode(pdf_dir, tmp_path):
    import csv
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    scans = tmp_path / "scans"
    scans.mkdir()
    scan(pdf_dir / "hindawi_case_topiramate_neutropenia.pdf", [1], scans / "case_scan.pdf", dpi=250, angle=0.4)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))

    def predict(*args):
        out = tmp_path / "out.csv"
        done = subprocess.run([sys.executable, str(repo / "predict.py"), str(scans), "--out", str(out),
                               "--jsonl", str(tmp_path / "out.jsonl"), "-j", "2", "--timeout", "0", *args],
                              env=env, capture_output=True, text=True, timeout=1200)
        with open(out, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        jsonl = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
        return done, rows, jsonl

    done, rows, _ = predict("--ocr", "never")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert rows[0]["status"] == "error"
    assert rows[0]["error"] == "case_scan.pdf: no text layer (image-only scan; OCR is off: use --ocr auto)"

    # the cached failure belongs to --ocr never: the default (auto) reads the scan
    done, rows, jsonl = predict()
    assert done.returncode == 0, done.stderr
    assert rows[0]["status"] == "ok" and rows[0]["ocr_pages"] == "1" and rows[0]["pages"] == "1"
    assert rows[0]["role"] in ("pre_determined", "peer_support", "co_creation")
    assert jsonl[0]["ocr_pages"] == [1]
    assert "extracted 1 files" in done.stderr

    done, rows, jsonl = predict()  # from the cache, still marked
    assert done.returncode == 0 and "1 predictions from the cache" in done.stderr
    assert rows[0]["ocr_pages"] == "1" and jsonl[0]["ocr_pages"] == [1]
