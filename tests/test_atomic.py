"""The one atomic-write helper: whole files only, permissions like open(), nothing left behind on failure."""
from __future__ import annotations

import os
import stat

import pytest

from classifier.atomic import new_file_mode, replacing, write_atomic
from classifier.io.csv_out import CsvWriter
from classifier.io.xlsx_out import XlsxWriter


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_file_gets_the_umask_mode_and_existing_file_keeps_its_mode(tmp_path):
    old = os.umask(0o027)
    try:
        assert new_file_mode() == 0o640
        target = tmp_path / "a.txt"
        write_atomic(target, "one\n")
        assert target.read_text() == "one\n" and mode(target) == 0o640
        os.chmod(target, 0o604)
        write_atomic(target, b"two\n")
        assert target.read_bytes() == b"two\n" and mode(target) == 0o604
    finally:
        os.umask(old)
    assert os.listdir(tmp_path) == ["a.txt"]  # no temporary file left


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "keep.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with replacing(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["keep.csv"]


def test_the_workbook_gets_the_same_permissions_as_the_csv(tmp_path):
    old = os.umask(0o022)
    try:
        with CsvWriter(tmp_path / "pred.csv") as csv_writer:
            csv_writer.write({"id": "a", "status": "ok"})
        with XlsxWriter(tmp_path / "pred.xlsx") as xlsx_writer:
            xlsx_writer.write({"id": "a", "status": "ok"})
    finally:
        os.umask(old)
    assert mode(tmp_path / "pred.xlsx") == mode(tmp_path / "pred.csv") == 0o644
