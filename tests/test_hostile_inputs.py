"""Hostile and damaged inputs: every good record is read, every bad one is a row saying where and why,
and nothing goes missing without a row (files generated here)."""
from __future__ import annotations

import json
import os

import pytest

from classifier.batch.inputs import Plan
from classifier.io import RecordError, read_records


def records(path):
    return list(read_records(path))


def ok(recs):
    return [r.title for r in recs if not r.error]


def test_ris_record_that_rispy_cannot_parse_costs_only_that_record(tmp_path):
    # a line without a tag right after TY (the previous record's last tag was TI) made rispy raise
    # for the whole file: every good record was refused
    path = tmp_path / "refs.ris"
    path.write_text("TY  - JOUR\nTI  - First\nER  - \n\nTY  - JOUR\ncontinued text\nTI  - Second\nER  - \n\n"
                    "TY  - JOUR\nTI  - Third\nER  - \n", encoding="utf-8")
    recs = records(path)
    assert ok(recs) == ["First", "Second", "Third"]


def test_ris_last_record_without_er_and_one_space_tags_are_read(tmp_path):
    path = tmp_path / "refs.ris"
    path.write_text("TY  - JOUR\nTI  - First\nER  - \n\nTY - JOUR\nTI - Second\nAB - Its abstract\n",
                    encoding="utf-8")
    recs = records(path)
    assert ok(recs) == ["First", "Second"]
    assert recs[1].abstract == "Its abstract" and recs[1].where == "record 2"


def test_ris_tag_lines_outside_a_record_are_a_row_not_silence(tmp_path):
    path = tmp_path / "refs.ris"
    path.write_text("TY  - JOUR\nTI  - First\nER  - \n\nTI  - Lost its TY\nAB  - text\nER  - \n"
                    "TY  - JOUR\nTI  - Third\nER  - \n", encoding="utf-8")
    recs = records(path)
    assert ok(recs) == ["First", "Third"]
    (bad,) = [r for r in recs if r.error]
    assert bad.error == "refs.ris lines 5-6: tag lines outside any record (its 'TY  -' line is missing)"


def test_csv_unterminated_quote_does_not_swallow_later_rows(tmp_path):
    path = tmp_path / "refs.csv"
    path.write_text('id,title,abstract\na,"Broken title,x\nb,Second,abs\nc,"Third, quoted",abs\n'
                    'd,"Multi\nline",fine\n', encoding="utf-8")
    recs = records(path)
    assert [(r.id, r.title) for r in recs if not r.error] == [
        ("b", "Second"), ("c", "Third, quoted"), ("d", "Multi\nline")]
    (bad,) = [r for r in recs if r.error]
    assert bad.where == "row 2" and "refs.csv row 2: cannot parse" in bad.error and "quote" in bad.error


def test_jsonl_deeply_nested_line_is_one_error_row(tmp_path):
    path = tmp_path / "refs.jsonl"
    path.write_text(json.dumps({"title": "First"}) + "\n" + "[" * 200_000 + "]" * 200_000 + "\n"
                    + json.dumps({"title": "Third"}) + "\n", encoding="utf-8")
    recs = records(path)
    assert ok(recs) == ["First", "Third"]
    assert recs[1].error == "refs.jsonl line 2: JSON nested too deeply to read"


def test_jsonl_line_separator_inside_a_string_is_not_a_line_end(tmp_path):
    path = tmp_path / "refs.jsonl"
    path.write_text(json.dumps({"title": "A\u2028B"}, ensure_ascii=False) + "\n"
                    + json.dumps({"title": "C"}) + "\n", encoding="utf-8")
    assert ok(records(path)) == ["A\u2028B", "C"]


def test_jsonl_lone_surrogate_is_replaced_and_a_pair_joined(tmp_path):
    path = tmp_path / "refs.jsonl"
    path.write_text('{"title": "bad \\ud800 here"}\n{"title": "smile \\ud83d\\ude00"}\n', encoding="utf-8")
    first, second = records(path)
    assert first.title == "bad \ufffd here" and not first.error
    assert second.title == "smile \U0001F600"
    first.title.encode("utf-8")  # writable


@pytest.mark.parametrize("suffix,text", [
    (".csv", "id,title,abstract\nr1,Peer workers café,An abstract\n"),
    (".ris", "TY  - JOUR\r\nTI  - Peer workers café\r\nAB  - An abstract\r\nER  - \r\n"),
    (".jsonl", '{"id": "r1", "title": "Peer workers café", "abstract": "An abstract"}\n'),
])
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_byte_order_mark(tmp_path, suffix, text, encoding):
    path = tmp_path / f"export{suffix}"
    path.write_bytes(text.encode(encoding))
    (rec,) = records(path)
    assert not rec.error and rec.title == "Peer workers café" and rec.abstract == "An abstract"


def _lock(folder, monkeypatch):
    """Make ``folder`` unreadable: chmod 000, and (as root, whom permissions do not stop) a listing
    that fails as it would for anyone else."""
    folder.chmod(0)
    if os.geteuid() == 0:
        real = os.scandir

        def scandir(path="."):
            if os.path.abspath(path) == str(folder.resolve()):
                raise PermissionError(13, "Permission denied", str(path))
            return real(path)

        monkeypatch.setattr(os, "scandir", scandir)


def test_unreadable_folder_is_a_row_and_the_rest_is_read(tmp_path, monkeypatch):
    top = tmp_path / "studies"
    (top / "a").mkdir(parents=True)
    (top / "b").mkdir()
    (top / "a" / "one.txt").write_text("Peer workers.", encoding="utf-8")
    (top / "b" / "two.txt").write_text("Peer workers.", encoding="utf-8")
    _lock(top / "b", monkeypatch)
    try:
        items = list(Plan([top]))
    finally:
        (top / "b").chmod(0o755)
    assert [i.id for i in items if not i.error] == ["one"]
    (bad,) = [i for i in items if i.error]
    assert bad.error.startswith(f"{top / 'b'}: cannot read this folder (Permission denied)")


def test_folder_without_documents_is_a_row(tmp_path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "notes.docx").write_bytes(b"x")
    (item,) = list(Plan([tmp_path / "empty"]))
    assert "no PDF or .txt files in this directory" in item.error


def test_predictions_file_with_hostile_lines_is_read_around_them(tmp_path):
    from classifier.io.predictions import read_predictions

    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"id": "a", "title": "Split\u2028here", "role": "peer_support"}, ensure_ascii=False)
                    + "\n" + "[" * 100_000 + "]" * 100_000 + "\n"
                    + '{"id": "b\\ud800", "title": "lone \\udc00", "evidence": {"role": [{"text": "x\\ud800"}]}}\n',
                    encoding="utf-8")
    preds, problems = read_predictions(path)
    assert [p["id"] for p in preds] == ["a", "b\ufffd"]
    assert preds[0]["title"] == "Split\u2028here" and preds[1]["evidence"]["role"][0]["text"] == "x\ufffd"
    assert problems == ["p.jsonl line 2: JSON nested too deeply to read; skipped"]


def test_csv_with_a_stray_nul_byte_is_read_not_refused(tmp_path):
    path = tmp_path / "refs.csv"
    path.write_bytes(b"id,title,abstract\na,One,x\nb,Tw\x00o,y\nc,Three,z\n")
    recs = records(path)
    assert [r.id for r in recs] == ["a", "b", "c"] and [r.title for r in recs if r.id != "b"] == ["One", "Three"]
    assert all(not r.error for r in recs if r.id != "b")
