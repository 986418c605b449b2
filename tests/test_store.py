"""The label store: validation, merge, conflicts, log, lock between processes, survival of kill -9."""
from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from classifier.io.labels import read_table
from classifier.review.store import Decision, LabelStore

REPO = Path(__file__).resolve().parents[1]

SEED = ("id,role,phases,boundary_spanner,label_source,notes\n"
        "a_2019,peer_support,delivery,true,review_text,\"a note, with comma\"\n"
        "b_2020,,,,review_text,\n"
        "c_2021,peer_support,,,review_inferred,\n")


@pytest.fixture
def labels(tmp_path) -> Path:
    path = tmp_path / "annotations" / "labels.csv"
    path.parent.mkdir()
    path.write_text(SEED, encoding="utf-8")
    return path


def rows(path: Path) -> dict[str, dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return {r["id"]: r for r in csv.DictReader(fh)}


def test_record_fills_unknown_label_and_logs_it(labels):
    store = LabelStore(labels)
    result = store.record([Decision("b_2020", "role", "Co-creation", "ana", "queue.csv", note="row 2")])
    assert [d.value for d in result.applied] == ["co_creation"]
    assert not result.conflicts
    table = rows(labels)
    assert table["b_2020"]["role"] == "co_creation"
    assert table["b_2020"]["reviewed_by"] == "ana"
    # unknown columns and other rows are preserved as they were
    assert table["a_2019"]["notes"] == "a note, with comma"
    assert list(table["a_2019"])[:6] == ["id", "role", "phases", "boundary_spanner", "label_source", "notes"]
    log = store.log()
    assert len(log) == 1
    assert log[0]["study"] == "b_2020" and log[0]["old"] == "" and log[0]["new"] == "co_creation"
    assert log[0]["reviewer"] == "ana" and log[0]["source"] == "queue.csv" and log[0]["outcome"] == "applied"
    assert log[0]["note"] == "row 2"
    frame = store.load()
    assert frame.loc["b_2020", "role"] == "co_creation"
    assert frame.loc["b_2020", "phases"] is None


def test_new_study_is_appended(labels):
    LabelStore(labels).record([Decision("new_2024", "phases", "design; delivery", "ana", "t")])
    assert rows(labels)["new_2024"]["phases"] == "design;delivery"


def test_bad_value_is_refused_and_nothing_written(labels):
    before = labels.read_bytes()
    store = LabelStore(labels)
    with pytest.raises(ValueError, match="peer suport"):
        store.record([Decision("b_2020", "role", "co_creation", "ana", "t"),
                      Decision("b_2020", "role", "peer suport", "ana", "t")])
    with pytest.raises(ValueError, match="colour"):
        store.record([Decision("b_2020", "colour", "red", "ana", "t")])
    assert labels.read_bytes() == before
    assert not store.log_path.exists()


def test_conflict_is_kept_not_overwritten_then_resolved(labels):
    store = LabelStore(labels)
    result = store.record([Decision("a_2019", "role", "co_creation", "bo", "queue.csv")])
    assert not result.applied
    assert len(result.conflicts) == 1
    c = result.conflicts[0]
    assert (c.study_id, c.task, c.current, c.proposed) == ("a_2019", "role", "peer_support", "co_creation")
    assert rows(labels)["a_2019"]["role"] == "peer_support"
    pending = store.conflicts()
    assert [(p.study_id, p.proposed) for p in pending] == [("a_2019", "co_creation")]
    # the same conflict reported again is not duplicated
    store.record([Decision("a_2019", "role", "co_creation", "bo", "queue.csv")])
    assert len(store.conflicts()) == 1
    assert store.log()[-1]["outcome"] == "conflict"
    # resolving writes the chosen value and clears the pending conflict
    store.resolve("a_2019", "role", "co_creation", "lead")
    assert rows(labels)["a_2019"]["role"] == "co_creation"
    assert store.conflicts() == []
    assert len(store.conflicts(pending_only=False)) == 1
    assert store.log()[-1]["outcome"] == "overwritten"


def test_same_value_is_not_a_conflict_and_inferred_label_is_correctable(labels):
    store = LabelStore(labels)
    r = store.record([Decision("a_2019", "boundary_spanner", "yes", "ana", "t"),
                      Decision("c_2021", "role", "pre_determined", "ana", "t")])
    assert [d.study_id for d in r.unchanged] == ["a_2019"]
    # c_2021's role was inferred, not stated by a person: correcting it is not a conflict
    assert [d.study_id for d in r.applied] == ["c_2021"]
    assert rows(labels)["c_2021"]["role"] == "pre_determined"


def test_missing_file_is_created_and_bom_is_kept(tmp_path):
    path = tmp_path / "labels.csv"
    LabelStore(path).record([Decision("x_1", "boundary_spanner", "false", "ana", "t")])
    assert rows(path)["x_1"]["boundary_spanner"] == "false"
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffid,role\nx_1,\n".encode("utf-8"))
    LabelStore(bom).record([Decision("x_1", "role", "peer_support", "ana", "t")])
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_table(bom).index["x_1"]["role"] == "peer_support"


WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {repo!r})
    from classifier.review.store import Decision, LabelStore
    store = LabelStore(sys.argv[1])
    reviewer, n = sys.argv[2], int(sys.argv[3])
    values = ["pre_determined", "peer_support", "co_creation"]
    for i in range(n):
        study = f"{{reviewer}}_{{i:04d}}"
        store.record([Decision(study, "role", values[i % 3], reviewer, "proc"),
                      Decision(study, "phases", "delivery", reviewer, "proc")])
        print("OK", study, values[i % 3], flush=True)
""")


def writer_script(tmp_path: Path) -> Path:
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(repo=str(REPO)))
    return script


def test_two_processes_recording_at_once_keep_every_decision(labels, tmp_path):
    script = writer_script(tmp_path)
    procs = [subprocess.Popen([sys.executable, str(script), str(labels), who, "40"], stdout=subprocess.PIPE,
                              text=True) for who in ("ana", "bo")]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    table = rows(labels)
    confirmed = [line.split() for out in outs for line in out.splitlines()]
    assert len(confirmed) == 80
    for _, study, value in confirmed:
        assert table[study]["role"] == value
        assert table[study]["phases"] == "delivery"
    assert table["a_2019"]["notes"] == "a note, with comma"  # the original rows survive
    log = LabelStore(labels).log()
    assert len(log) == 160


def test_kill_9_during_writes_loses_no_confirmed_decision(labels, tmp_path):
    script = writer_script(tmp_path)
    proc = subprocess.Popen([sys.executable, str(script), str(labels), "kim", "100000"], stdout=subprocess.PIPE,
                            text=True)
    confirmed = []
    for line in proc.stdout:
        confirmed.append(line.split())
        if len(confirmed) >= 25:
            break
    time.sleep(0.05)  # let it get into the middle of another write
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    for line in proc.stdout.read().splitlines():  # confirmations already in the pipe
        confirmed.append(line.split())
    assert proc.returncode == -signal.SIGKILL
    table = read_table(labels)  # parses: a valid CSV, every id once
    for _, study, value in confirmed:
        assert table.index[study]["role"] == value
    assert table.index["a_2019"]["role"] == "peer_support"
    # no temp files left behind by confirmed writes are mistaken for labels; the store still works
    LabelStore(labels).record([Decision("after_kill", "role", "co_creation", "kim", "t")])
    assert rows(labels)["after_kill"]["role"] == "co_creation"
    assert len(LabelStore(labels).log()) >= 2 * len(confirmed)
