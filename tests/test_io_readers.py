"""Record readers on every format and encoding reference managers write (files generated here)."""
from __future__ import annotations

import json

import pytest

from classifier.io import RecordError, read_records
from classifier.io.encoding import decode_bytes

TITLE = "Peer support workers in community mental health: a qualitative study"
ABSTRACT = "Peer workers bridged services and café-style drop-ins \u2013 \u201cnavigating\u201d systems."


def records(path):
    return list(read_records(path))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_encodings_decode_accents_and_smart_quotes(tmp_path, encoding):
    path = tmp_path / "export.csv"
    text = f'id,title,abstract,doi\nr1,"{TITLE}","{ABSTRACT}",10.1000/xyz\n'
    path.write_bytes(text.encode(encoding))
    (rec,) = records(path)
    assert rec.id == "r1" and rec.title == TITLE and rec.abstract == ABSTRACT
    assert rec.doi == "10.1000/xyz" and not rec.error and rec.where == "row 2"


def test_decode_bytes_leaves_non_western_text_to_charset_normalizer():
    text = "Исследование работников поддержки равных в службах психического здоровья"
    decoded, encoding = decode_bytes(text.encode("cp1251"))
    assert decoded == text and encoding != "cp1252"


def test_asreview_and_zotero_column_names(tmp_path):
    path = tmp_path / "asreview.csv"
    path.write_text("record_id,primary_title,notes_abstract\n7,A title,An abstract\n", encoding="utf-8")
    (rec,) = records(path)
    assert (rec.id, rec.title, rec.abstract) == ("7", "A title", "An abstract")
    zotero = tmp_path / "zotero.csv"
    zotero.write_text('"Key","Title","Abstract Note","DOI"\n"ABCD","T","A","10.1/2"\n', encoding="utf-8-sig")
    (rec,) = records(zotero)
    assert (rec.id, rec.title, rec.abstract, rec.doi) == ("ABCD", "T", "A", "10.1/2")


def test_semicolon_csv_and_tsv(tmp_path):
    semi = tmp_path / "excel_eu.csv"
    semi.write_text("Title;Abstract\nFirst, with comma;Text one\n", encoding="utf-8")
    assert records(semi)[0].title == "First, with comma"
    tsv = tmp_path / "export.tsv"
    tsv.write_text("title\tabstract\nT1\tA, B; C\n", encoding="utf-8")
    (rec,) = records(tsv)
    assert (rec.title, rec.abstract) == ("T1", "A, B; C")


def test_csv_empty_and_malformed_rows_become_error_records_naming_the_row(tmp_path):
    path = tmp_path / "refs.csv"
    path.write_text(
        "id,title,abstract\n"
        "a,Good title,Good abstract\n"
        ",,\n"                      # entirely blank: not a document, skipped
        "b,,\n"                     # id but no title, no abstract
        "c,Title,Abstract,extra,cells\n"  # more cells than the header
        '"d","multi\nline title","x"\n',
        encoding="utf-8",
    )
    recs = records(path)
    assert [r.id for r in recs] == ["a", "b", "refs_row5", "d"]
    assert not recs[0].error and not recs[3].error and recs[3].title.split() == ["multi", "line", "title"]
    assert recs[1].error == "refs.csv row 4: no title and no abstract"
    assert "refs.csv row 5" in recs[2].error and "5 cells but the header has 3" in recs[2].error


def test_csv_without_title_or_abstract_column_is_one_clear_error(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("name,value\nx,1\n", encoding="utf-8")
    with pytest.raises(RecordError, match=r"wrong.csv: no title or abstract column .*found: name, value"):
        records(path)


@pytest.mark.parametrize("content,message", [(b"", "empty"), (b"\x00\x01\x02garbage\x00" * 50, "binary")])
def test_csv_empty_or_binary_file(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(RecordError, match=message):
        records(path)


def test_xlsx_reader(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    notes = wb.active
    notes.title = "notes"
    notes.append(["exported by", "someone"])  # a sheet without a title column is passed over
    sheet = wb.create_sheet("refs")
    sheet.append([])
    sheet.append(["ID", "Title", "Abstract", "Year"])
    sheet.append([101, TITLE, ABSTRACT, 2019])
    sheet.append([None, None, None, None])
    sheet.append([102, None, None, 2020])
    path = tmp_path / "refs.xlsx"
    wb.save(path)
    recs = records(path)
    assert [r.id for r in recs] == ["101", "102"]
    assert recs[0].title == TITLE and recs[0].abstract == ABSTRACT and recs[0].extra["year"] == "2019"
    assert recs[1].error == "refs.xlsx sheet 'refs' row 5: no title and no abstract"


def test_xlsx_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("title,abstract\n", encoding="utf-8")
    with pytest.raises(RecordError, match="fake.xlsx: not an Excel .xlsx workbook"):
        records(path)


def test_ris_reader_maps_tags(tmp_path):
    path = tmp_path / "endnote.ris"
    text = (
        "TY  - JOUR\nTI  - " + TITLE + "\nAB  - " + ABSTRACT + "\nDO  - 10.5/abc\nID  - e1\n"
        "AU  - Smith, J\nAU  - Jones, K\nPY  - 2019///\nT2  - Psychiatric Services\nER  - \n\n"
        "TY  - JOUR\nT1  - Second title\nN2  - Second abstract\nER  - \n\n"
        "TY  - JOUR\nAU  - Nobody, N\nER  - \n"
    )
    path.write_bytes(text.encode("cp1252"))
    first, second, third = records(path)
    assert (first.id, first.title, first.abstract, first.doi) == ("e1", TITLE, ABSTRACT, "10.5/abc")
    assert first.extra["year"] == "2019" and first.extra["authors"] == "Smith, J; Jones, K"
    assert (second.title, second.abstract, second.id) == ("Second title", "Second abstract", "endnote_record2")
    assert third.error == "endnote.ris record 3: no title and no abstract"


def test_ris_that_is_not_ris(tmp_path):
    path = tmp_path / "x.ris"
    path.write_text("<html>not RIS</html>", encoding="utf-8")
    with pytest.raises(RecordError, match="x.ris: not a RIS file"):
        records(path)


def test_jsonl_corpus_reads(corpus_dir):
    recs = records(corpus_dir / "studies.jsonl")
    assert len(recs) > 10
    ok = [r for r in recs if not r.error]
    assert ok and all(r.title or r.abstract for r in ok)
    assert len({r.id for r in recs}) == len(recs)


def test_unknown_suffix_and_missing_file(tmp_path):
    with pytest.raises(RecordError, match="not a records file"):
        records(tmp_path / "x.docx")
    with pytest.raises(RecordError, match="no such file"):
        records(tmp_path / "missing.csv")
