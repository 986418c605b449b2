"""Every bad input gives one ExtractionError line naming the file, and `extract` exits non-zero with it."""
from __future__ import annotations

import pytest

from classifier.extract import ExtractionError, load_document
from classifier.extract.cli import main as extract_main


def _reportlab_pdf(path, pages=1, text=True):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    for i in range(pages):
        if text:
            c.setFont("Helvetica", 11)
            word = WORDS[i % len(WORDS)]
            c.drawString(72, 420, f"The {word} page of a generated test document about peer workers.")
        else:  # drawing only: what a scan without OCR looks like to a text extractor
            c.rect(72, 400, 300, 300, fill=1)
            c.circle(300, 300, 50)
        c.showPage()
    c.save()
    return path


WORDS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]


@pytest.fixture
def good_pdf(tmp_path):
    return _reportlab_pdf(tmp_path / "good.pdf", pages=3)


def _cases(tmp_path, good_pdf):
    import pikepdf

    cases = {}
    p = tmp_path / "empty.pdf"
    p.write_bytes(b"")
    cases["empty"] = (p, "empty file")
    p = tmp_path / "notes.pdf"
    p.write_text("These are notes, not a PDF.\n", encoding="utf-8")
    cases["text renamed"] = (p, "not a PDF (looks like plain text")
    p = tmp_path / "page.pdf"
    p.write_text("<!DOCTYPE html><html><body>Sign in to download</body></html>", encoding="utf-8")
    cases["html renamed"] = (p, "not a PDF (looks like HTML")
    data = good_pdf.read_bytes()
    p = tmp_path / "truncated.pdf"
    p.write_bytes(data[: len(data) // 3])
    cases["truncated"] = (p, "PDF")
    p = tmp_path / "locked.pdf"
    with pikepdf.open(good_pdf) as pdf:
        pdf.save(p, encryption=pikepdf.Encryption(owner="owner-secret", user="user-secret", R=6))
    cases["encrypted"] = (p, "encrypted PDF")
    cases["image only"] = (_reportlab_pdf(tmp_path / "scan.pdf", pages=2, text=False), "no text layer")
    p = tmp_path / "garbage.pdf"
    p.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    cases["corrupt"] = (p, "PDF")
    return cases


def test_every_bad_input_is_one_line_naming_the_file(tmp_path, good_pdf):
    for label, (path, expected) in _cases(tmp_path, good_pdf).items():
        with pytest.raises(ExtractionError) as info:
            load_document(path)
        message = str(info.value)
        assert message.startswith(path.name + ": "), (label, message)
        assert "\n" not in message, label
        assert expected in message, (label, message)


def test_cli_exits_non_zero_with_the_message(tmp_path, good_pdf, capsys):
    for label, (path, expected) in _cases(tmp_path, good_pdf).items():
        code = extract_main([str(path), "--json"])
        err = capsys.readouterr().err.strip()
        assert code != 0, label
        assert err.count("\n") == 0 and path.name in err and expected in err, (label, err)
        assert "Traceback" not in err


def test_page_limit_is_configurable(tmp_path):
    pdf = _reportlab_pdf(tmp_path / "long.pdf", pages=6)
    with pytest.raises(ExtractionError, match=r"long\.pdf: has 6 pages, more than the limit of 5"):
        load_document(pdf, max_pages=5)
    doc = load_document(pdf, max_pages=5, on_page_limit="truncate")
    assert any("page limit hit" in w for w in doc.warnings)
    assert "The fifth page" in doc.text and "sixth" not in doc.text
    assert load_document(pdf, max_pages=6).pages == 6
    assert extract_main([str(pdf), "--max-pages", "2"]) == 1


def test_time_limit(tmp_path):
    pdf = _reportlab_pdf(tmp_path / "slow.pdf", pages=3)
    with pytest.raises(ExtractionError, match=r"slow\.pdf: took longer than 1e-09 s \(time limit\)"):
        load_document(pdf, timeout=1e-9)


def test_missing_file_and_unsupported_type(tmp_path, capsys):
    with pytest.raises(ExtractionError, match=r"^nothing\.pdf: file not found$"):
        load_document(tmp_path / "nothing.pdf")
    odd = tmp_path / "table.docx"
    odd.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(ExtractionError, match=r"table\.docx: unsupported file type \.docx"):
        load_document(odd)
    assert extract_main([str(tmp_path / "nothing.pdf")]) == 1
    assert "nothing.pdf: file not found" in capsys.readouterr().err


def test_a_good_generated_pdf_still_reads(good_pdf):
    doc = load_document(good_pdf)
    assert doc.pages == 3
    assert "generated test document" in doc.text
    # no headings in it: one 'other' section and a warning saying so
    assert any("no section headings" in w for w in doc.warnings)


def test_partial_image_pages_warn(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "mixed.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    c.drawString(72, 760, "A page with a text layer.")
    c.showPage()
    c.rect(72, 400, 300, 300, fill=1)
    c.showPage()
    c.save()
    doc = load_document(path)
    assert any("no text layer on page(s) 2" in w for w in doc.warnings)


def test_owner_password_only_pdf_still_reads(tmp_path, good_pdf):
    """Encrypted with an empty user password (printing/copying restrictions only): readable."""
    import pikepdf

    path = tmp_path / "restricted.pdf"
    with pikepdf.open(good_pdf) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(owner="owner-secret", user="", R=6))
    doc = load_document(path)
    assert "generated test document" in doc.text


def test_limits_can_be_switched_off(good_pdf):
    """The batch runner passes None when it enforces its own limits."""
    doc = load_document(good_pdf, max_pages=None, timeout=None)
    assert doc.pages == 3
