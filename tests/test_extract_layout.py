"""Layout on generated PDFs: two columns under a full-width abstract, running headers/footers,
hyphenated line ends, headings by style, references closing the body; plus character clean-up."""
from __future__ import annotations

import pytest

from classifier.extract import load_document
from classifier.extract.normalize import clean

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
         "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango"]


PAGE = ["first", "second", "third"]


def _two_column_pdf(path, pages=3):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    w, h = A4
    for p in range(pages):
        c.setFont("Helvetica", 8)
        c.drawString(57, h - 40, "Journal of Peer Support 2024, 3:12")       # running header
        c.drawString(w - 120, 30, f"Page {p + 1} of {pages}")                  # running footer
        y0 = h - 90
        if p == 0:
            c.setFont("Helvetica-Bold", 18)
            c.drawString(57, y0, "Peer workers in community crisis teams")
            c.setFont("Helvetica-Bold", 12)
            c.drawString(57, y0 - 40, "Abstract")
            c.setFont("Helvetica", 10)
            for k in range(4):
                c.drawString(57, y0 - 58 - 12 * k,
                             f"Full width abstract line {WORDS[k]} describes peer support workers across the whole page width.")
            y0 -= 130
            c.setFont("Helvetica-Bold", 12)
            c.drawString(57, y0, "Introduction")
            y0 -= 18
        c.setFont("Helvetica", 10)
        for k in range(20):
            y = y0 - 12 * k
            left = f"Left {PAGE[p]} {WORDS[k]} text of column one here."
            right = f"Right {PAGE[p]} {WORDS[k]} text of column two here."
            if p == 1 and k == 5:
                left = "The team ran semi-structured inter-"
            if p == 1 and k == 6:
                left = "views with peer workers and staff."
            c.drawString(57, y, left)
            c.drawString(310, y, right)
        if p == pages - 1:
            c.setFont("Helvetica-Bold", 12)
            c.drawString(310, y0 - 12 * 21, "References")
            c.setFont("Helvetica", 9)
            c.drawString(310, y0 - 12 * 22, "1. Smith J. Peer work in mental health. 2019.")
            c.setFont("Helvetica-Bold", 12)
            c.drawString(310, y0 - 12 * 24, "Results")
            c.setFont("Helvetica", 9)
            c.drawString(310, y0 - 12 * 25, "2. Jones K. Results of peer support trials. 2020.")
        c.showPage()
    c.save()
    return path


@pytest.fixture(scope="module")
def two_col(tmp_path_factory):
    path = _two_column_pdf(tmp_path_factory.mktemp("layout") / "two_col.pdf")
    return load_document(path)


def test_reading_order_two_columns_under_full_width_abstract(two_col):
    by = {s.name: s for s in two_col.sections}
    assert by["title"].text == "Peer workers in community crisis teams"
    assert by["abstract"].text.startswith("Full width abstract line alpha")
    intro = by["introduction"].text
    # page by page, the whole left column before the right column
    order = [intro.index(f"{side} {PAGE[p]} alpha") for p in range(3) for side in ("Left", "Right")]
    assert order == sorted(order)
    assert intro.index("Left first tango") < intro.index("Right first alpha")
    for p in range(3):
        for k, word in enumerate(WORDS):
            if (p, k) not in ((1, 5), (1, 6)):  # the hyphenation lines
                assert f"Left {PAGE[p]} {word} text of column one here." in intro


def test_running_headers_footers_and_page_numbers_removed(two_col):
    text = two_col.text
    assert "Journal of Peer Support" not in text
    assert "Page 2 of 3" not in text and "of 3" not in text


def test_line_end_hyphen_joined(two_col):
    assert "semi-structured interviews with peer workers" in two_col.text


def test_everything_after_references_is_references(two_col):
    names = [s.name for s in two_col.sections]
    assert names[-1] == "references"
    assert names.count("results") == 0
    refs = two_col.sections[-1].text
    assert "Smith J." in refs and "Jones K." in refs


def test_sentences_have_offsets_into_their_section(two_col):
    for section in two_col.sections:
        for s in section.sentences:
            assert section.text[s.start:s.end] == s.text
    assert sum(len(s.sentences) for s in two_col.sections) > 60


@pytest.mark.parametrize("raw, expected", [
    ("signi\ufb01cant e\ufb00ect", "significant effect"),
    ("peer\u00a0worker\u2009support\u200b", "peer worker support"),
    ("a\u2002\u2003b", "a b"),
    ("cafe\u0301", "caf\u00e9"),
    ("\U0001d45d < 0.05", "p < 0.05"),
])
def test_character_clean_up(raw, expected):
    assert clean(raw) == expected


def test_text_on_a_rotated_page_is_kept(tmp_path):
    """/Rotate 90 (a landscape table page) changes how a page is shown, not where its text is."""
    import pikepdf
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "rotated.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    for k in range(2):
        c.drawString(72, 600, f"Page {WORDS[k]} shows a table of peer support outcomes.")
        c.showPage()
    c.save()
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.pages[1].Rotate = 90
        pdf.save(path)
    doc = load_document(path)
    assert "Page alpha shows" in doc.text and "Page bravo shows" in doc.text
    assert not any("no text layer" in w for w in doc.warnings)
