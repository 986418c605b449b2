"""predict.py end to end, with the shipped model: a batch of every kind of bad input, kill -9 and
rerun, exit statuses. Bad inputs are generated here; real articles come from ../shared at run time."""
from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.tables import csv_rows as read_csv

REPO = Path(__file__).resolve().parents[1]
GOOD_PDFS = ("hindawi_case_topiramate_neutropenia.pdf", "hindawi_bangla_pdrq_validation.pdf")
SUMMARY = re.compile(r"extracted (\d+) files, (\d+) from the text cache, (\d+) predictions from the cache")
OWN_TEXT = (
    "Peer workers as bridges in a community mental health team\n\nAbstract\n"
    "Peer support workers with lived experience of mental illness joined the community team. "
    "They helped service users navigate housing and benefits, and acted as a bridge between "
    "clinicians and families. The evaluation interviewed twelve peer workers after one year.\n"
)


def predict(*args, env=None, cwd=REPO, **kw):
    return subprocess.run([sys.executable, str(REPO / "predict.py"), *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300, **kw)


def text_pdf(path: Path, pages: int, line: str) -> None:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    for number in range(pages):
        c.drawString(72, 720, f"{line} (page {number + 1})")
        c.showPage()
    c.save()


def make_bad_inputs(folder: Path, pdf_dir: Path) -> dict[str, str]:
    """Every bad-input case; returns id -> a word the error must contain."""
    import pikepdf
    from reportlab.pdfgen import canvas

    folder.mkdir()
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "random_bytes.pdf").write_bytes(os.urandom(5000))
    raw = (pdf_dir / "hindawi_sleep_periodontitis.pdf").read_bytes()
    (folder / "truncated.pdf").write_bytes(raw[: len(raw) // 2])
    (folder / "text_renamed.pdf").write_text("Notes from the team meeting, saved with the wrong name.\n")
    text_pdf(folder / "plain.pdf", 1, "Peer workers supported clients in the community.")
    with pikepdf.open(folder / "plain.pdf") as pdf:
        pdf.save(folder / "encrypted.pdf", encryption=pikepdf.Encryption(user="secret", owner="owner"))
    (folder / "plain.pdf").unlink()
    scan = canvas.Canvas(str(folder / "image_scan.pdf"))
    for _ in range(2):
        scan.setFillGray(0.4)
        scan.rect(72, 300, 400, 300, fill=1)
        scan.showPage()
    scan.save()
    text_pdf(folder / "oversized.pdf", 30, "A long report on peer support")
    return {"empty": "empty", "random_bytes": "not a PDF", "truncated": "truncated",
            "text_renamed": "not a PDF", "encrypted": "encrypted", "image_scan": "no text",
            "oversized": "30 pages"}


def test_mixed_batch_reports_every_bad_input_and_labels_every_good_one(tmp_path, env, pdf_dir, corpus_dir):
    bad = make_bad_inputs(tmp_path / "bad", pdf_dir)
    studies = [json.loads(line) for line in (corpus_dir / "studies.jsonl").read_text("utf-8").splitlines()[:2]]
    records = tmp_path / "refs.csv"
    with open(records, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "abstract"])
        writer.writerow([studies[0]["id"], studies[0]["title"], studies[0]["abstract"]])
        writer.writerow(["no_text", "", ""])
        writer.writerow(["too_many", "a title", "an abstract", "stray", "cells"])
        writer.writerow([studies[1]["id"], studies[1]["title"], studies[1]["abstract"]])
    own = tmp_path / "own_note.txt"
    own.write_text(OWN_TEXT, encoding="utf-8")
    unsupported = tmp_path / "slides.pptx"
    unsupported.write_bytes(b"PK\x03\x04")
    inputs = [pdf_dir / GOOD_PDFS[0], tmp_path / "bad", records, own, unsupported, pdf_dir / GOOD_PDFS[1]]
    out = tmp_path / "out" / "predictions.csv"
    result = predict(*inputs, "--out", out, "--jsonl", tmp_path / "p.jsonl", "--xlsx", tmp_path / "p.xlsx",
                     "--max-pages", 20, env=env)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    rows = read_csv(out)
    expected_ids = ([Path(GOOD_PDFS[0]).stem] + sorted(bad) +
                    [studies[0]["id"], "no_text", "refs_row4", studies[1]["id"], "own_note", "slides",
                     Path(GOOD_PDFS[1]).stem])
    assert [r["id"] for r in rows] == expected_ids
    by_id = {r["id"]: r for r in rows}
    good = [Path(GOOD_PDFS[0]).stem, studies[0]["id"], studies[1]["id"], "own_note", Path(GOOD_PDFS[1]).stem]
    for study in good:
        row = by_id[study]
        assert row["status"] == "ok" and row["error"] == "", row
        assert row["role"] in ("pre_determined", "peer_support", "co_creation")
        assert 0.0 <= float(row["role_confidence"]) <= 1.0 and row["boundary_spanner"] in ("true", "false")
    for study, word in bad.items():
        row = by_id[study]
        assert row["status"] == "error" and row["error"].startswith(f"{study}.pdf: ") and word in row["error"]
        assert "\n" not in row["error"] and row["role"] == ""
    assert by_id["no_text"]["error"] == "refs.csv row 3: no title and no abstract"
    assert by_id["refs_row4"]["error"].startswith("refs.csv row 4: 5 cells but the header has 3")
    assert by_id["slides"]["error"].startswith("slides.pptx: not a supported input type")
    jsonl = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text("utf-8").splitlines()]
    assert [j["id"] for j in jsonl] == expected_ids
    assert all(set(j["evidence"]) == {"eligible", "role", "phases", "boundary_spanner"} for j in jsonl if j["status"] == "ok")
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "p.xlsx").active
    assert sheet.max_row == len(expected_ids) + 1 and sheet.freeze_panes == "A2"
    assert f"{len(bad) + 3} failed" in result.stderr
    # how often each labelled text mentions peers: the note about peer workers does, the two
    # off-topic articles do not, and the summary says so; error rows have no count
    assert int(by_id["own_note"]["peer_terms"]) >= 3
    assert by_id[Path(GOOD_PDFS[0]).stem]["peer_terms"] == by_id[Path(GOOD_PDFS[1]).stem]["peer_terms"] == "0"
    assert all(by_id[study]["peer_terms"] == "" for study in bad)
    assert "note: 2 labelled document(s) never mention peers" in result.stderr
    assert [c.value for c in sheet[1]][2] == "peer terms" and sheet.cell(row=2, column=3).value == 0


def test_kill_9_then_the_same_command_completes_without_reextracting(tmp_path, env, pdf_dir):
    out = tmp_path / "out.csv"
    command = [sys.executable, str(REPO / "predict.py"), str(pdf_dir), "--out", str(out), "-j", "1"]
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if out.exists() and len(out.read_text("utf-8").splitlines()) >= 4:  # header + 3 rows
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the batch finished before it could be killed"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the runner and its workers, mid-batch
        proc.wait()
    partial = read_csv(out)  # a killed run leaves a valid CSV
    total = len(list(pdf_dir.glob("*.pdf")))
    assert 3 <= len(partial) < total
    rerun = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    final = read_csv(out)
    assert [r["id"] for r in final] == sorted(p.stem for p in pdf_dir.glob("*.pdf"))
    assert all(r["status"] == "ok" for r in final)
    assert final[: len(partial)] == partial  # the same answers as before the kill
    extracted, text_hits, prediction_hits = map(int, SUMMARY.search(rerun.stderr).groups())
    assert prediction_hits >= len(partial)       # finished documents: neither extracted nor predicted
    assert extracted <= total - len(partial)
    assert extracted + text_hits + prediction_hits == total


@pytest.mark.parametrize("args,message", [
    (["--out", "x.csv"], "the following arguments are required: INPUT"),
    (["{pdf}"], "the following arguments are required: --out"),
    (["{tmp}/missing.pdf", "--out", "{tmp}/o.csv"], "missing.pdf: no such file or directory"),
    (["{pdf}", "--out", "{tmp}/o.csv", "-j", "0"], "-j 0: give a number of workers"),
    (["{pdf}", "--out", "{tmp}/o.csv", "--model", "{tmp}/nomodel"], "no such file or directory"),
    (["{pdf}", "--out", "{tmp}/o.csv", "--backend", "dask"], "--backend dask needs --scheduler"),
    (["{pdf}", "--out", "{pdf}"], "is also an INPUT"),
    (["{pdf}", "--out", "{tmp}/o.csv", "--scheduler", "tcp://127.0.0.1:9",
      "--connect-timeout", "2"], "cannot reach the Dask scheduler"),
])
def test_nothing_can_run_exits_2_with_one_line(tmp_path, env, pdf_dir, args, message):
    pdf = pdf_dir / GOOD_PDFS[0]
    args = [a.format(pdf=pdf, tmp=tmp_path) for a in args]
    result = predict(*args, env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert not (tmp_path / "o.csv").exists()


def test_missing_default_model_exits_2(tmp_path, env, pdf_dir):
    env = dict(env, PEER_CHARTING_MODEL=str(tmp_path / "no-model-here"))
    result = subprocess.run([sys.executable, "-m", "classifier", "predict", str(pdf_dir / GOOD_PDFS[0]),
                             "--out", str(tmp_path / "o.csv")], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: no model at {tmp_path / 'no-model-here'} ($PEER_CHARTING_MODEL names it; train one with "
        f"train.py, or unset it)"]


def test_sigterm_stops_tidily_and_keeps_finished_rows(tmp_path, env, pdf_dir):
    out = tmp_path / "out.csv"
    dup = tmp_path / "again"
    dup.mkdir()
    (dup / GOOD_PDFS[0]).write_bytes((pdf_dir / GOOD_PDFS[0]).read_bytes())
    proc = subprocess.Popen([sys.executable, str(REPO / "predict.py"), str(pdf_dir / GOOD_PDFS[0]), str(dup),
                             str(pdf_dir), "--out", str(out)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and len(out.read_text("utf-8").splitlines()) >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the batch finished before it could be stopped"
    proc.terminate()  # SIGTERM, as `kill PID` sends
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("interrupted: ")
    rows = read_csv(out)
    assert len(rows) >= 2 and rows[0]["id"] == rows[1]["id"] == Path(GOOD_PDFS[0]).stem
    # the rerun completes, and notes the id that occurs twice
    rerun = predict(pdf_dir / GOOD_PDFS[0], dup, pdf_dir, "--out", out, env=env)
    assert rerun.returncode == 0
    assert f"1 id(s) occur more than once ('{Path(GOOD_PDFS[0]).stem}')" in rerun.stderr
    assert len(read_csv(out)) == 2 + len(list(pdf_dir.glob("*.pdf")))


def test_dask_threads_give_the_same_rows_as_joblib_with_the_real_model(tmp_path, pdf_dir, corpus_dir, monkeypatch):
    """Two threads in one Dask worker share the model and the spaCy pipeline: rows must not change."""
    from distributed import LocalCluster

    from classifier.batch.cli import main

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    pdfs = sorted(pdf_dir.glob("hindawi_*.pdf"))[:4]
    studies = [json.loads(line) for line in (corpus_dir / "studies.jsonl").read_text("utf-8").splitlines()[:40]]
    records = tmp_path / "refs.jsonl"
    records.write_text("".join(json.dumps({k: s.get(k) for k in ("id", "title", "abstract")}) + "\n"
                               for s in studies), encoding="utf-8")
    inputs = [str(p) for p in pdfs] + [str(records)]
    assert main(inputs + ["--out", str(tmp_path / "loky.csv"), "-j", "2", "--no-cache", "-q"]) == 0
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        assert main(inputs + ["--out", str(tmp_path / "dask.csv"), "--backend", "dask", "--scheduler",
                              cluster.scheduler_address, "--no-cache", "-q"]) == 0
    loky, dask = read_csv(tmp_path / "loky.csv"), read_csv(tmp_path / "dask.csv")
    assert len(loky) == len(pdfs) + len(studies) and all(r["status"] == "ok" for r in loky)
    assert dask == loky


def test_a_finished_batch_prints_only_its_summary(tmp_path, env):
    note = tmp_path / "note.txt"
    note.write_text("Peer workers linked clients to services and advocated for them in meetings.\n", "utf-8")
    result = predict(str(note), "--out", str(tmp_path / "out.csv"), env=env)
    assert result.returncode == 0, result.stderr
    # progress, then the summary with its screening count (assessed, eligible, excluded by reason), and
    # nothing else (no warnings from the worker pool as it stops)
    lines = result.stderr.strip().splitlines()
    at = [i for i, line in enumerate(lines) if SUMMARY.search(line)]
    assert len(at) == 1, result.stderr
    assert all(line.startswith("labelling: ") for line in lines[:at[0]]), result.stderr
    rest = lines[at[0] + 1:]
    screening = re.fullmatch(r"screening: 1 assessed for eligibility, ([01]) eligible, ([01]) excluded", rest[0]) \
        if rest else None
    assert screening and int(screening[1]) + int(screening[2]) == 1, result.stderr
    if screening[2] == "1":  # its reason, then what the exclusion_reason column holds
        assert len(rest) == 3, result.stderr
        assert re.fullmatch(r"  excluded, .+ \(\w+\): 1", rest[1]), result.stderr
        assert rest[2].startswith("  (the exclusion_reason column says which"), result.stderr
    else:
        assert len(rest) == 1, result.stderr
