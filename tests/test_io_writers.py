"""Writers: CSV (streamed, valid after every row), JSONL, and the reviewer's workbook."""
from __future__ import annotations

import csv
import json

from classifier.io.columns import CSV_COLUMNS, PREDICTION_COLUMNS
from classifier.io.csv_out import CsvWriter
from classifier.io.jsonl_out import JsonlWriter
from classifier.io.xlsx_out import LAYOUT, XlsxWriter

EVIDENCE = {
    "role": [{"text": "Peer workers co-designed the service.", "section": "abstract", "start": 0, "end": 37,
              "score": 1.2}],
    "phases": [{"text": "They helped design\nthe intake.", "section": "methods", "score": 0.8, "label": "design"},
               {"text": "They delivered groups.", "section": "results", "score": 0.5, "label": "delivery"},
               {"text": "They helped design the intake.", "section": "methods", "score": 0.4, "label": "delivery"}],
    "boundary_spanner": [],
}
OK_ROW = {
    "id": "smith_2019", "source": "pdfs/smith_2019.pdf", "status": "ok", "error": "",
    "role": "co_creation", "role_confidence": 0.81234, "p_role_pre_determined": 0.1,
    "p_role_peer_support": 0.08766, "p_role_co_creation": 0.81234, "phases": "design;delivery",
    "p_phase_commissioning": 0.02, "p_phase_design": 0.7, "p_phase_delivery": 0.99, "p_phase_assessment": 0.04,
    "boundary_spanner": "true", "p_boundary_spanner": 0.77, "title": "=HYPERLINK(\"http://x\")", "doi": "",
    "pages": 12, "evidence": EVIDENCE,
}
ERROR_ROW = {"id": "broken", "source": "broken.pdf", "status": "error",
             "error": "broken.pdf: not a PDF (looks like HTML)", "evidence": {}}


DESIGN_COLUMNS = (  # ../shared/design.md, in its order
    "id", "source", "status", "error", "role", "role_confidence", "p_role_pre_determined", "p_role_peer_support",
    "p_role_co_creation", "phases", "p_phase_commissioning", "p_phase_design", "p_phase_delivery",
    "p_phase_assessment", "boundary_spanner", "p_boundary_spanner")


def test_prediction_columns_derived_from_the_schema_keep_the_designed_order():
    assert PREDICTION_COLUMNS[: len(DESIGN_COLUMNS)] == DESIGN_COLUMNS
    assert PREDICTION_COLUMNS[len(DESIGN_COLUMNS):] == (
        "eligible", "p_eligible", "exclusion_reason", "role_status", "role_set", "phases_status", "phases_set", "boundary_spanner_status")
    assert CSV_COLUMNS[len(PREDICTION_COLUMNS):] == ("title", "doi", "pages", "ocr_pages", "peer_terms", "model_name",
                                                     "model_version", "model_hash", "codebook_version")


def test_csv_has_the_designed_columns_and_is_valid_after_each_row(tmp_path):
    path = tmp_path / "out.csv"
    writer = CsvWriter(path)
    assert list(csv.reader(path.open(encoding="utf-8"))) == [list(CSV_COLUMNS)]
    writer.write(OK_ROW)
    # not closed yet: what a killed run leaves behind must already be a complete CSV
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == 1 and rows[0]["role"] == "co_creation" and rows[0]["role_confidence"] == "0.8123"
    writer.write(ERROR_ROW)
    writer.close()
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert tuple(rows[0])[: len(PREDICTION_COLUMNS)] == PREDICTION_COLUMNS
    assert rows[1]["status"] == "error" and rows[1]["error"].startswith("broken.pdf:")
    assert rows[1]["role"] == "" and rows[1]["p_boundary_spanner"] == ""
    assert rows[0]["phases"] == "design;delivery" and rows[0]["pages"] == "12"


def test_jsonl_one_object_per_line_with_evidence(tmp_path):
    path = tmp_path / "out.jsonl"
    with JsonlWriter(path) as writer:
        writer.write(OK_ROW)
        writer.write(ERROR_ROW)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["evidence"]["phases"][1]["text"] == "They delivered groups."
    assert first["boundary_spanner"] is True and '"boundary_spanner": true' in lines[0]  # a JSON boolean
    assert json.loads(lines[1])["status"] == "error"


def test_xlsx_for_people(tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "out.xlsx"
    writer = XlsxWriter(path)
    writer.write(OK_ROW)
    writer.write(ERROR_ROW | {"title": "Control\x07chars\ufffe gone"})
    assert not path.exists()  # only complete workbooks appear
    writer.close()
    sheet = load_workbook(path).active
    headers = [c.value for c in sheet[1]]
    assert headers == [h for _, h, _ in LAYOUT]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(LAYOUT)).column_letter}3"
    col = {h: i + 1 for i, h in enumerate(headers)}
    ok = {h: sheet.cell(2, i).value for h, i in col.items()}
    assert ok["title"] == '=HYPERLINK("http://x")' and sheet.cell(2, col["title"]).data_type == "s"
    assert ok["role confidence"] == 0.81234
    phases_cell = sheet.cell(2, col["evidence: phases"])
    # each sentence once, saying which phases it backs
    assert phases_cell.value.splitlines() == ["\u2022 They helped design the intake. [methods; design, delivery]",
                                             "\u2022 They delivered groups. [results; delivery]"]
    assert phases_cell.alignment.wrap_text
    bad = {h: sheet.cell(3, i).value for h, i in col.items()}
    assert bad["status"] == "error" and bad["error"] == "broken.pdf: not a PDF (looks like HTML)"
    assert bad["title"] == "Controlchars gone" and bad["role"] is None
