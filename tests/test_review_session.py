"""The terminal review session, driven through pipes as a non-tty: decisions saved at once, undo, skip,
resume, kill -9 mid-session, and retraining in a background process."""
from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from classifier.io.labels import read_table
from classifier.review.store import LabelStore
from classifier.schema import task_names

REPO = Path(__file__).resolve().parents[1]
SHOWN = re.compile(r"\[(\d+)/(\d+)\] (\S+)")


@pytest.fixture(scope="module")
def predictions(corpus_dir, tmp_path_factory) -> Path:
    """Prediction dicts for 25 corpus studies, from the model package's rules-only predictor."""
    from classifier.model import ChartingModel
    from classifier.review.texts import load_documents

    docs = list(load_documents([corpus_dir / "studies.jsonl"]).values())[:25]
    preds = ChartingModel().rules_predict(docs)
    path = tmp_path_factory.mktemp("session") / "pred.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in preds), encoding="utf-8")
    return path


@pytest.fixture
def labels(tmp_path) -> Path:
    path = tmp_path / "annotations" / "labels.csv"
    path.parent.mkdir()
    path.write_text("id,role,phases,boundary_spanner,notes\nunrelated_2020,peer_support,delivery,true,keep me\n",
                    encoding="utf-8")
    return path


def run(predictions, labels, keys: str, reviewer="ana") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "classifier", "review", "--predictions", str(predictions),
                           "--annotations", str(labels), "--reviewer", reviewer], cwd=REPO, input=keys,
                          capture_output=True, text=True, timeout=120)


def shown(output: str) -> list[str]:
    return [m.group(3) for m in SHOWN.finditer(output)]


def predicted(predictions: Path) -> dict[str, dict]:
    return {p["id"]: p for p in map(json.loads, predictions.read_text("utf-8").splitlines())}


def test_accept_correct_skip_undo_then_resume(predictions, labels):
    keys = "a\nc\n\nco_creation\n\n-\nchecked the methods\ns\nu\ns\nq\n"  # (Enter keeps eligibility)
    first = run(predictions, labels, keys)
    assert first.returncode == 0, first.stderr
    seq = shown(first.stdout)
    doc1, doc2, doc3 = seq[0], seq[1], seq[2]
    assert seq[3] != doc3 and seq[4] == doc3  # the undone skip brings it back at once
    preds = predicted(predictions)
    table = read_table(labels)
    assert table.index[doc1]["role"] == preds[doc1]["role"]
    assert table.index[doc1]["phases"] == preds[doc1]["phases"]
    assert table.index[doc1]["boundary_spanner"] == preds[doc1]["boundary_spanner"]
    assert table.index[doc2]["role"] == "co_creation"
    assert table.index[doc2]["phases"] == preds[doc2]["phases"]
    assert table.index[doc2]["boundary_spanner"] == ""  # '-' left it unknown
    assert doc3 not in table.index
    assert table.index["unrelated_2020"]["notes"] == "keep me"
    log = LabelStore(labels).log()
    assert {(r["study"], r["source"], r["reviewer"]) for r in log} == {(doc1, "session", "ana"),
                                                                       (doc2, "session", "ana")}
    assert [r["note"] for r in log if r["study"] == doc2] == ["checked the methods"] * 2
    assert "2 decisions saved" in first.stdout
    # a new session resumes at the first document not yet seen; the skipped one comes last
    second = run(predictions, labels, "q\n")
    again = shown(second.stdout)
    assert again[0] not in (doc1, doc2, doc3)
    assert f"[1/{len(preds) - 2}]" in second.stdout


def test_undo_restores_the_file_and_the_document_comes_back(predictions, labels):
    out = run(predictions, labels, "a\nu\nq\n")
    assert out.returncode == 0, out.stderr
    seq = shown(out.stdout)
    assert seq[2] == seq[0] != seq[1]  # undo (typed at the next document) brings it back
    row = read_table(labels).index[seq[0]]
    assert all(row[t] == "" for t in task_names())
    assert [r["outcome"] for r in LabelStore(labels).log()][-3:] == ["cleared"] * 3
    assert shown(run(predictions, labels, "q\n").stdout)[0] == seq[0]


def test_bad_correction_is_asked_again_and_end_of_input_stops_cleanly(predictions, labels):
    out = run(predictions, labels, "c\n\npeer suport\npeer support\ndelivery;design\nno\n\n")
    assert out.returncode == 0
    assert "'peer suport' is not a role value" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr
    doc = shown(out.stdout)[0]
    row = read_table(labels).index[doc]
    assert (row["role"], row["phases"], row["boundary_spanner"]) == ("peer_support", "design;delivery", "false")
    assert "1 decisions saved" in out.stdout


def test_kill_9_mid_session_loses_no_confirmed_decision(predictions, labels):
    proc = subprocess.Popen([sys.executable, "-m", "classifier", "review", "--predictions", str(predictions),
                             "--annotations", str(labels), "--reviewer", "kim"], cwd=REPO, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    confirmed = []
    while len(confirmed) < 4:
        proc.stdin.write("a\n")
        proc.stdin.flush()
        for line in proc.stdout:
            m = re.search(r"saved (\S+):", line)
            if m:
                confirmed.append(m.group(1))
                break
    proc.stdin.write("a\n")  # one more, killed while it is being saved (or just before)
    proc.stdin.flush()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    table = read_table(labels)  # still a valid labels file
    preds = predicted(predictions)
    for study in confirmed:
        assert table.index[study]["role"] == preds[study]["role"]
    assert table.index["unrelated_2020"]["notes"] == "keep me"
    resumed = shown(run(predictions, labels, "q\n", reviewer="kim").stdout)
    assert resumed and resumed[0] not in confirmed


def test_retraining_runs_in_the_background(corpus_dir, tmp_path):
    from classifier.model.build_labels import build
    from classifier.review.retrain import BackgroundRetrainer
    from classifier.review.session import Session

    labels_csv = tmp_path / "labels.csv"
    build(corpus_dir)[0].to_csv(labels_csv, index=False, encoding="utf-8", lineterminator="\n")
    texts = [corpus_dir / "studies.jsonl", corpus_dir / "charted_studies.jsonl"]
    store = LabelStore(labels_csv)
    labelled = store.labels()
    # the session's pool: charted near-misses, which carry no labels
    from classifier.review.texts import load_documents

    have_text = load_documents(texts)
    pool = [i for i, lab in labelled.items() if not any(lab.values()) and i in have_text][:6]
    preds = [{"id": i, "title": i, "p_role_peer_support": 0.5, "p_role_pre_determined": 0.3,
              "p_role_co_creation": 0.2, "role": "peer_support"} for i in pool]
    retrainer = BackgroundRetrainer(labels_csv, texts)
    out = io.StringIO()
    session = Session(store, preds, "ana", retrainer=retrainer, retrain_every=1,
                      stdin=io.StringIO("c\n\npeer_support\n-\n-\n\ns\n"), stdout=out)
    # run() ends a retraining still running when the session ends; let it finish to check its predictions
    retrainer.stop = lambda: None
    assert session.run() == 0
    assert "retraining in the background" in out.getvalue()
    assert retrainer.wait(240).state == "done", retrainer.status().message
    fresh, error = retrainer.poll()
    assert error == "" and retrainer.poll() is None  # handed over once
    decided = shown(out.getvalue())[0]
    assert set(fresh) == set(pool) - {decided}  # the rest of the queue, predicted by the new model
    assert store.labels()[decided]["role"] == "peer_support"
    for p in fresh.values():
        assert abs(sum(p[f"p_role_{v}"] for v in ("pre_determined", "peer_support", "co_creation")) - 1) < 0.01
        assert p["evidence"]


def test_a_save_that_cannot_happen_is_reported_and_the_study_stays(tmp_path):
    """Another reviewer holds the lock too long: the session says so, keeps the study, and goes on."""
    from classifier.review.session import Session

    labels = tmp_path / "labels.csv"
    labels.write_text("id,role\n", encoding="utf-8")
    store = LabelStore(labels, lock_timeout=0.3)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from filelock import FileLock; "
                               f"lock = FileLock({str(store.lock_path)!r}); lock.acquire(); print('held', flush=True); "
                               "sys.stdin.readline()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    preds = [{"id": "x_2020", "title": "A study", "p_role_pre_determined": 0.3, "p_role_peer_support": 0.6,
              "p_role_co_creation": 0.1, "role": "peer_support"}]
    out = io.StringIO()

    class Keys(io.StringIO):  # releases the other reviewer's lock after the first attempt
        def readline(self, *args):
            line = super().readline(*args)
            if "not saved" in out.getvalue() and holder.poll() is None:
                holder.communicate("done\n", timeout=30)
            return line

    assert Session(store, preds, "ana", stdin=Keys("a\na\n"), stdout=out).run() == 0
    text = out.getvalue()
    assert "not saved: " in text and "still locked by another reviewer" in text
    assert shown(text) == ["x_2020", "x_2020"]  # shown again after the failed save
    assert read_table(labels).index["x_2020"]["role"] == "peer_support"
    assert "1 decisions saved" in text


def test_in_a_terminal_a_single_keypress_decides(predictions, labels):
    """Through a pseudo-terminal: 'a' without Enter accepts; 'q' quits."""
    import pty
    import select

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "classifier", "review", "--predictions", str(predictions),
                             "--annotations", str(labels), "--reviewer", "tia"], cwd=REPO, stdin=slave,
                            stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    seen = b""

    def until(marker: bytes, timeout=60.0):
        nonlocal seen
        end = time.monotonic() + timeout
        while marker not in seen and time.monotonic() < end:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
        return marker in seen

    try:
        assert until(b"[q]uit > ")
        os.write(master, b"a")
        assert until(b"saved ")
        os.write(master, b"q")
        assert until(b"Stopped.")
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert proc.returncode == 0
    doc = shown(seen.decode("utf-8", "replace"))[0]
    assert read_table(labels).index[doc]["role"] == predicted(predictions)[doc]["role"]


def test_a_study_that_never_mentions_peers_is_flagged(predictions, labels, tmp_path):
    preds = list(map(json.loads, predictions.read_text("utf-8").splitlines()))[:2]
    preds[0]["peer_terms"], preds[1]["peer_terms"] = 0, 4
    path = tmp_path / "pred.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in preds), encoding="utf-8")
    result = run(path, labels, "s\ns\nq\n")
    blocks = re.split(r"(?=\[\d+/\d+\] )", result.stdout)
    flagged = {shown(b)[0]: "never mentions peers" in b for b in blocks if shown(b)}
    assert flagged == {preds[0]["id"]: True, preds[1]["id"]: False}, result.stdout


def test_the_terminal_and_the_web_page_count_the_same_studies_to_review(tmp_path):
    """A decision imported from a queue, one made on the web, one undone in the terminal, a fully
    labelled study and a cell the schema refuses: both front ends agree on what is left."""
    from classifier.review.store import Decision
    from classifier.review.session import Session
    from classifier.web.queue import build_queue

    labels = tmp_path / "labels.csv"
    labels.write_text("id,role,phases,boundary_spanner\nfull,peer_support,delivery,true\nbad,chief,delivery,true\n",
                      encoding="utf-8")
    ids = ["full", "bad", "imported", "on_web", "undone", "fresh1", "fresh2"]
    preds = [{"id": i, "title": i, "status": "ok", "role": "peer_support", "p_role_pre_determined": 0.2,
              "p_role_peer_support": 0.6, "p_role_co_creation": 0.2} for i in ids]
    failed = {"id": "broken", "title": "", "status": "error", "error": "broken.pdf: not a PDF"}
    (tmp_path / "pred.jsonl").write_text("".join(json.dumps(p) + "\n" for p in [*preds, failed]))
    from classifier.io.predictions import load_predictions, read_reviewable

    terminal_preds, skipped = read_reviewable(tmp_path / "pred.jsonl")  # what 'review session' reads
    assert [p["id"] for p in terminal_preds] == ids and "broken" in skipped[0]
    web_preds = load_predictions(tmp_path / "pred.jsonl").items       # what the page reads
    store = LabelStore(labels)
    store.record([Decision("imported", "role", "co_creation", "ana", "queue.xlsx row 2")])
    store.record([Decision("on_web", "phases", "design", "bo", "web")])
    store.record([Decision("undone", "role", "pre_determined", "cy", "session")])
    store.record([Decision("undone", "role", None, "cy", "session undo", force=True)])
    web_rows, progress = build_queue(web_preds, *store.labels_and_problems()[:1], store.log())
    terminal = Session(store, terminal_preds, "dee", stdin=io.StringIO(""), stdout=io.StringIO()).build_queue()
    assert progress["todo"] == len(terminal) == 4 and progress["failed"] == 1
    assert sorted(terminal) == sorted(r.pred["id"] for r in web_rows if not r.reviewed and r.pred["status"] == "ok")
    assert sorted(terminal) == ["bad", "fresh1", "fresh2", "undone"]


def test_x_excludes_the_study_with_a_reason_through_the_store(predictions, labels):
    keys = "x\nboring\n3\nmutual-help group of members\nc\nfalse\n\nolder adults\n\n\n\n\nq\n"
    out = run(predictions, labels, keys)
    assert out.returncode == 0, out.stderr
    assert "is not an exclusion reason" in out.stdout   # 'boring' asked again
    first, second = shown(out.stdout)[:2]
    table = read_table(labels)
    assert (table.index[first]["eligible"], table.index[first]["exclusion_reason"]) == ("false", "self_help")
    # correcting 'eligible' to false asks for the reason too
    assert (table.index[second]["eligible"], table.index[second]["exclusion_reason"]) == ("false", "older_adults")
    log = [(r["study"], r["task"], r["new"]) for r in LabelStore(labels).log()]
    assert (first, "eligible", "false") in log and (first, "exclusion_reason", "self_help") in log
    assert [r["note"] for r in LabelStore(labels).log() if r["study"] == first] == ["mutual-help group of members"] * 2
