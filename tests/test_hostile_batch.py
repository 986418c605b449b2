"""Hostile inputs through predict.py with the shipped model: one bad record never stops the batch,
limits (time, memory) are reported as limits and never cached, cache entries are checked when read
back, an unloadable model leaves the outputs alone, and spaCy's length limit is not the user's
problem. Inputs are generated here."""
from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from helpers.tables import csv_rows as rows

REPO = Path(__file__).resolve().parents[1]
PEER = ("Peer support workers with lived experience joined the community mental health team and "
        "helped service users navigate housing and benefits.")


def predict(*args, env):
    return subprocess.run([sys.executable, str(REPO / "predict.py"), *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def object_bomb(path: Path, objects: int) -> None:
    """A small PDF whose one page holds ``objects`` text objects: pdfium takes seconds and hundreds
    of megabytes to parse it, inside one C call."""
    content = b"BT /F1 10 Tf 72 700 Td (peer support workers help people) Tj ET\n" * objects
    stream = zlib.compress(content, 9)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents 5 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))


def test_lone_surrogates_do_not_stop_the_batch(tmp_path, env):
    path = tmp_path / "refs.jsonl"
    path.write_text(
        json.dumps({"id": "a", "title": "Peer workers", "abstract": PEER}) + "\n"
        + '{"id": "b\\udc80", "title": "Lone \\ud800 surrogate", "abstract": "' + PEER + '"}\n'
        + json.dumps({"id": "c", "title": "Peer navigators", "abstract": PEER}) + "\n", encoding="utf-8")
    out, jsonl = tmp_path / "out.csv", tmp_path / "out.jsonl"
    done = predict(path, "--out", out, "--jsonl", jsonl, "-q", env=env)
    assert done.returncode == 0, done.stderr
    got = rows(out)
    assert [r["id"] for r in got] == ["a", "b\ufffd", "c"] and {r["status"] for r in got} == {"ok"}
    assert got[1]["title"] == "Lone \ufffd surrogate"
    assert len(jsonl.read_text("utf-8").splitlines()) == 3
    rerun = predict(path, "--out", out, "-q", env=env)  # and again, from the cache
    assert rerun.returncode == 0 and len(rows(out)) == 3


def test_a_row_that_cannot_be_written_becomes_its_error_row():
    from classifier.batch.cli import _write

    class Picky:
        def __init__(self):
            self.rows = []

        def write(self, row):
            if row.get("title") == "poison":
                raise ValueError("cannot hold this")
            self.rows.append(row)

    writer = Picky()
    written = _write([writer], {"id": "x", "source": "s", "status": "ok", "title": "poison", "role": "peer_support"})
    assert written["status"] == "error" and "could not be written (ValueError: cannot hold this)" in written["error"]
    assert writer.rows == [written] and written["role"] == ""


def test_an_unloadable_model_leaves_existing_outputs_untouched(tmp_path, env):
    records = tmp_path / "refs.jsonl"
    records.write_text(json.dumps({"id": "a", "title": "T", "abstract": PEER}) + "\n", encoding="utf-8")
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.skops").write_bytes(b"not a model")
    out, jsonl = tmp_path / "keep.csv", tmp_path / "keep.jsonl"
    out.write_text("earlier results\n", encoding="utf-8")
    jsonl.write_text("{}\n", encoding="utf-8")
    done = predict(records, "--out", out, "--jsonl", jsonl, "--model", model, "-q", env=env)
    assert done.returncode == 2 and "cannot load the model" in done.stderr
    assert out.read_text("utf-8") == "earlier results\n" and jsonl.read_text("utf-8") == "{}\n"


def test_a_time_limit_inside_pdfium_is_a_limit_and_never_cached(tmp_path, env):
    bomb = tmp_path / "dense.pdf"
    object_bomb(bomb, 300_000)  # pdfium parses the page for a few seconds in one C call
    out = tmp_path / "out.csv"
    cache = tmp_path / "cache"
    first = predict(bomb, "--out", out, "--timeout", "0.5", "--cache-dir", cache, "-q", env=env)
    (row,) = rows(out)
    assert first.returncode == 1 and "time limit" in row["error"] and "damaged" not in row["error"], row
    cached = [json.loads(p.read_text("utf-8")) for p in (cache / "documents").rglob("*.json")] \
        if (cache / "documents").exists() else []
    assert not any(entry.get("error") for entry in cached)
    second = predict(bomb, "--out", out, "--timeout", "300", "--cache-dir", cache, "-q", env=env)
    (row,) = rows(out)
    assert "time limit" not in row["error"], (second.stderr, row)


def test_a_document_over_the_memory_limit_is_a_row_and_the_batch_goes_on(tmp_path, env):
    bomb = tmp_path / "dense.pdf"
    object_bomb(bomb, 1_500_000)  # ~1.3 GB inside pdfium
    good = tmp_path / "good.txt"
    good.write_text(f"Peer workers in a team\n\nAbstract\n{PEER}\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    done = predict(bomb, good, "--out", out, "--max-memory", "500", "--timeout", "300", "--no-cache", "-q",
                   env=env)
    bad, fine = rows(out)
    assert done.returncode == 1
    assert bad["status"] == "error" and "over the memory limit of 500 MB per worker" in bad["error"]
    assert fine["status"] == "ok"


def test_text_longer_than_spacy_allows_is_read_in_pieces(tmp_path):
    from classifier.extract import load_document
    from classifier.extract.sentences import get_nlp, pieces

    paragraph = "Peer workers ran weekly groups in the ward. Staff valued their lived experience.\n\n"
    text = paragraph * (get_nlp().max_length // len(paragraph) + 50)
    assert len(text) > get_nlp().max_length
    path = tmp_path / "book.txt"
    path.write_text(text, encoding="utf-8")
    doc = load_document(path)
    sentences = [s for section in doc.sections for s in section.sentences]
    assert len(sentences) >= 2 * (len(text) // len(paragraph)) - 10
    for section in doc.sections:
        assert all(section.text[s.start:s.end] == s.text for s in section.sentences)
    assert "".join(pieces(text, 1000)) == text and max(map(len, pieces(text, 1000))) <= 1000


def test_cache_entries_are_checked_when_read_back(tmp_path, env):
    records = tmp_path / "refs.jsonl"
    records.write_text(json.dumps({"id": "a", "title": "Peer workers", "abstract": PEER}) + "\n", encoding="utf-8")
    text = tmp_path / "study.txt"
    text.write_text(f"Peer workers in a team\n\nAbstract\n{PEER}\n", encoding="utf-8")
    cache = tmp_path / "cache"
    out = tmp_path / "out.csv"
    assert predict(records, text, "--out", out, "--cache-dir", cache, "-q", env=env).returncode == 0
    honest = rows(out)
    for entry in (cache / "predictions").rglob("*.json"):  # hand-edited: a value the schema lacks
        value = json.loads(entry.read_text("utf-8"))
        value["part"]["role"] = "not_a_role"
        value["part"]["p_role_peer_support"] = 7
        entry.write_text(json.dumps(value), encoding="utf-8")
    for entry in (cache / "documents").rglob("*.json"):  # and a document entry damaged
        value = json.loads(entry.read_text("utf-8"))
        value["sections"] = [{"name": "nonsense", "text": 5}]
        entry.write_text(json.dumps(value), encoding="utf-8")
    again = predict(records, text, "--out", out, "--cache-dir", cache, env=env)
    assert again.returncode == 0, again.stderr
    assert rows(out) == honest
    assert "extracted 1 files, 0 from the text cache, 0 predictions from the cache" in again.stderr


def test_skops_floor_excludes_versions_with_the_trusted_type_bypass():
    import tomllib

    from packaging.requirements import Requirement
    from packaging.version import Version

    deps = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"]
    (skops,) = [Requirement(d) for d in deps if Requirement(d).name == "skops"]
    assert not skops.specifier.contains(Version("0.11.9")) and skops.specifier.contains(Version("0.12.0"))
