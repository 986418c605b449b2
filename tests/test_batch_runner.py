"""The batch runner with a stand-in model (so hangs and crashes can be staged on demand): order,
one model load per worker, cache hits, time limits, crashes, Dask. Documents are .txt files written
here and extracted by the real ``classifier.extract``."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from classifier.batch.backends import DaskBackend, LokyBackend
from classifier.batch.inputs import InputError, Plan
from classifier.batch.runner import BatchRunner
from classifier.batch.worker import FatalError, WorkerSettings

LOADER = f"{Path(__file__).stem}:load_fake_model"
PEER = "Peer support workers helped people navigate services. They met clients weekly in the clinic."
PLAIN = "Nurses delivered a structured education programme. Outcomes were measured at six months."


class FakeModel:
    """Labels by a keyword; misbehaves on cue words in the text."""

    def predict(self, documents):
        out = []
        for doc in documents:
            text = doc.text
            if "CRASH-NOW" in text:
                os.kill(os.getpid(), signal.SIGKILL)
            if "SLOW-PYTHON" in text:   # Python code running on: the soft limit interrupts it
                end = time.monotonic() + 60
                while time.monotonic() < end:
                    time.sleep(0.01)
            if "STUCK-IN-C" in text:    # nothing Python can interrupt: only the watchdog helps
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
                time.sleep(60)
            p = 0.9 if "Peer" in text else 0.2
            out.append({
                "id": doc.id, "source": doc.source, "title": doc.title, "status": "ok", "error": "",
                "role": "peer_support" if p > 0.5 else "pre_determined", "role_confidence": max(p, 1 - p),
                "p_role_pre_determined": 1 - p, "p_role_peer_support": p, "p_role_co_creation": 0.0,
                "phases": "delivery", "p_phase_commissioning": 0.1, "p_phase_design": 0.1,
                "p_phase_delivery": 0.9, "p_phase_assessment": 0.1,
                "boundary_spanner": "true" if p > 0.5 else "false", "p_boundary_spanner": p,
                "evidence": {"role": [{"text": text.split(". ")[0], "section": "other", "score": 1.0}],
                             "phases": [], "boundary_spanner": []},
            })
        return out


def load_fake_model(path):
    """``path`` is a log file: each load appends this process id (to count loads per worker)."""
    if path and path.endswith("missing"):
        raise FileNotFoundError(f"{path}: no model file")
    if path:
        with open(path, "a") as handle:
            handle.write(f"{os.getpid()}\n")
    return FakeModel()


def make_docs(folder: Path, texts: dict[str, str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in texts.items():
        path = folder / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def run(inputs, tmp_path, jobs=1, cache=True, backend=None, **settings):
    log = tmp_path / "loads.log"
    ws = WorkerSettings(model_path=str(log), model_loader=LOADER,
                        cache_dir=str(tmp_path / "cache") if cache else None, **settings)
    runner = BatchRunner(ws, backend or LokyBackend(jobs), use_cache=cache, chunk_size=2 * 8)
    results = list(runner.run(Plan(inputs)))
    return [r for r, _ in results], [s for _, s in results], runner


def test_rows_in_input_order_and_model_loaded_once_per_worker(tmp_path):
    texts = {f"doc{i:02d}": (PEER if i % 3 else PLAIN) + f" Study number {i}." for i in range(12)}
    folder = tmp_path / "docs"
    make_docs(folder / "sub", dict(list(texts.items())[6:]))
    make_docs(folder, dict(list(texts.items())[:6]))
    (folder / ".hidden.txt").write_text(PEER)
    (folder / "notes.docx").write_text("ignored in directories")
    rows, stats, _ = run([folder], tmp_path, jobs=2)
    assert [r["id"] for r in rows] == list(texts)
    assert all(r["status"] == "ok" for r in rows)
    assert [r["role"] for r in rows] == ["pre_determined" if i % 3 == 0 else "peer_support" for i in range(12)]
    loads = (tmp_path / "loads.log").read_text().split()
    assert 1 <= len(loads) <= 2 and len(set(loads)) == len(loads)  # once per worker process
    assert os.getpid() not in map(int, loads)
    assert sum(s["extracted"] for s in stats) == 12


def test_cache_second_run_reextracts_nothing(tmp_path):
    paths = make_docs(tmp_path / "docs", {"a": PEER, "b": PLAIN, "c": PEER + " More."})
    first, stats1, _ = run(paths, tmp_path)
    assert sum(s["extracted"] for s in stats1) == 3
    second, stats2, _ = run(paths, tmp_path)
    assert second == first
    assert sum(bool(s.get("extracted")) for s in stats2) == 0
    assert sum(bool(s.get("prediction_cache_hit")) for s in stats2) == 3
    # a different model: predictions are redone, text still comes from the cache
    other = WorkerSettings(model_path=str(tmp_path / "other.log"), model_loader=LOADER,
                           cache_dir=str(tmp_path / "cache"))
    results = list(BatchRunner(other, LokyBackend(1)).run(Plan(paths)))
    assert [s["document_cache_hit"] for _, s in results] == [True, True, True]
    assert not any(s["extracted"] for _, s in results)
    # changed bytes, same name: extracted again
    paths[0].write_text(PLAIN + " Changed.", encoding="utf-8")
    rows, stats3, _ = run(paths, tmp_path)
    assert [bool(s.get("extracted")) for s in stats3] == [True, False, False]
    assert rows[0]["role"] == "pre_determined"
    # --no-cache: everything extracted, nothing read
    _, stats4, _ = run(paths, tmp_path, cache=False)
    assert all(s["extracted"] for s in stats4)


def test_time_limit_stops_a_slow_document_and_the_batch_goes_on(tmp_path):
    paths = make_docs(tmp_path / "docs", {"a": PEER, "slow": PEER + " SLOW-PYTHON.", "c": PLAIN})
    rows, _, _ = run(paths, tmp_path, jobs=1, timeout=1.0)
    assert [r["status"] for r in rows] == ["ok", "error", "ok"]
    assert rows[1]["error"] == "slow.txt: stopped after the 1 s time limit per document (raise it with --timeout)"


def test_a_crashing_document_costs_only_its_own_row(tmp_path):
    texts = {f"d{i}": PEER + f" Number {i}." for i in range(6)}
    texts["d3"] = PLAIN + " CRASH-NOW."
    paths = make_docs(tmp_path / "docs", texts)
    rows, _, runner = run(paths, tmp_path, jobs=2)
    assert [r["id"] for r in rows] == list(texts)
    assert [r["status"] for r in rows] == ["ok", "ok", "ok", "error", "ok", "ok"]
    assert rows[3]["error"].startswith("d3.txt: the worker reading this file crashed")
    assert runner.restarts >= 1


def test_a_document_stuck_beyond_interruption_is_stopped_by_the_watchdog(tmp_path):
    paths = make_docs(tmp_path / "docs", {"a": PEER, "stuck": PEER + " STUCK-IN-C.", "c": PLAIN})
    rows, _, _ = run(paths, tmp_path, jobs=1, timeout=1.0, hard_grace=0.5)
    assert [r["status"] for r in rows] == ["ok", "error", "ok"]
    assert rows[1]["error"] == ("stuck.txt: did not finish within the 1 s time limit "
                                "(stuck inside the PDF library; stopped)")


def test_a_model_that_cannot_load_is_fatal(tmp_path):
    paths = make_docs(tmp_path / "docs", {"a": PEER})
    ws = WorkerSettings(model_path=str(tmp_path / "missing"), model_loader=LOADER)
    with pytest.raises(FatalError, match="cannot load the model: .*missing: no model file"):
        list(BatchRunner(ws, LokyBackend(1), use_cache=False).run(Plan(paths)))


def test_plan_inputs(tmp_path):
    with pytest.raises(InputError, match="nope.pdf: no such file or directory"):
        Plan([tmp_path / "nope.pdf"])
    with pytest.raises(InputError, match="no INPUT"):
        Plan([])
    odd = tmp_path / "paper.docx"
    odd.write_text("x")
    (item,) = list(Plan([odd]))
    assert item.error.startswith("paper.docx: not a supported input type")


def test_dask_local_cluster_gives_the_same_rows_as_joblib(tmp_path):
    from distributed import LocalCluster

    texts = {f"d{i}": (PEER if i % 2 else PLAIN) + f" Study {i}." for i in range(5)}
    texts["slow"] = PEER + " SLOW-PYTHON."
    paths = make_docs(tmp_path / "docs", texts)
    records = tmp_path / "refs.csv"
    records.write_text(f'id,title,abstract\nr1,Peer navigators,"{PEER}"\nr2,,\n', encoding="utf-8")
    loky_rows, _, _ = run(paths + [records], tmp_path, jobs=2, cache=False, timeout=1.0)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        backend = DaskBackend(cluster.scheduler_address)
        try:
            dask_rows, _, _ = run(paths + [records], tmp_path, cache=False, backend=backend, timeout=1.0)
        finally:
            backend.close()
    assert dask_rows == loky_rows
    assert [r["status"] for r in dask_rows] == ["ok"] * 5 + ["error", "ok", "error"]
    assert "time limit" in dask_rows[5]["error"]  # enforced in a Dask worker thread too
    assert dask_rows[7]["error"] == "refs.csv row 3: no title and no abstract"


def test_the_shipped_model_is_found_from_a_clone_and_the_environment_overrides_it(monkeypatch, tmp_path):
    from classifier import locations

    monkeypatch.delenv("PEER_CHARTING_MODEL", raising=False)
    assert locations.default_model_path() == locations.REPOSITORY_MODEL  # this test runs from a clone
    assert (locations.default_model_path() / "model.skops").is_file()
    monkeypatch.setenv("PEER_CHARTING_MODEL", str(tmp_path / "m"))
    assert locations.default_model_path() == tmp_path / "m"
    assert "PEER_CHARTING_MODEL" in locations.missing_model_message(tmp_path / "m")


def test_progress_is_plain_lines_when_not_a_terminal():
    import io

    from classifier.batch.progress import Progress

    stream = io.StringIO()
    progress = Progress(3, stream=stream, interval=0)
    for ok in (True, False, True):
        progress.update(ok=ok)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3 and "\r" not in stream.getvalue()
    assert lines[-1].startswith("labelling: 100% 3/3") and lines[-1].endswith("1 failed")
    quiet = io.StringIO()
    Progress(3, quiet=True, stream=quiet).update()
    assert quiet.getvalue() == ""


def test_without_the_dask_extra_the_dask_backend_says_how_to_install_it(monkeypatch):
    import sys

    from classifier.batch.backends import BackendError, DaskBackend

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if 'pip install .' without [dask]
    with pytest.raises(BackendError, match=r"pip install 'peer-charting\[dask\]'"):
        DaskBackend("tcp://127.0.0.1:8786")
