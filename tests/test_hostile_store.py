"""The label store killed at the worst moments: the log never loses a decision the labels file holds,
and the temporary files of a killed write are cleaned up on the next start. Files generated here."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from classifier.review.store import Decision, LabelStore

REPO = Path(__file__).resolve().parents[1]


def killed_write(labels: Path, kill_in: str) -> int:
    """Record one decision in a child process that dies (``os._exit``) inside ``kill_in``."""
    code = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(REPO)!r})
        from classifier.review import store as s
        real = getattr(s, {kill_in!r})
        def die(path, *args, **kwargs):
            if {kill_in!r} == "append_rows" or str(path).endswith("labels.csv"):
                os._exit(9)
            return real(path, *args, **kwargs)
        setattr(s, {kill_in!r}, die)
        s.LabelStore({str(labels)!r}).record([s.Decision("s1", "role", "co_creation", "ann", "test", "=note")])
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120).returncode


def test_kill_between_replacing_the_labels_and_logging_keeps_the_log_entry(tmp_path):
    labels = tmp_path / "labels.csv"
    LabelStore(labels).record([Decision("s0", "role", "peer_support", "ann", "test")])
    assert killed_write(labels, "append_rows") == 9
    store = LabelStore(labels)
    assert store.labels()["s1"]["role"] == "co_creation"  # the file was replaced ...
    log = store.log()                                       # ... and its decision is in the log
    assert [(r["study"], r["new"], r["note"]) for r in log] == [("s0", "peer_support", ""),
                                                                 ("s1", "co_creation", "=note")]
    assert not store.journal_path.exists()
    store.record([Decision("s2", "role", "peer_support", "bo", "test")])
    assert [r["study"] for r in store.log()] == ["s0", "s1", "s2"]  # reconciled once, not twice


def test_kill_before_the_labels_are_replaced_leaves_no_trace(tmp_path):
    labels = tmp_path / "labels.csv"
    LabelStore(labels).record([Decision("s0", "role", "peer_support", "ann", "test")])
    assert killed_write(labels, "write_atomic") == 9
    store = LabelStore(labels)
    assert "s1" not in store.labels()
    assert [r["study"] for r in store.log()] == ["s0"] and not store.journal_path.exists()


def test_temporary_files_of_a_killed_write_are_removed_on_the_next_start(tmp_path):
    labels = tmp_path / "labels.csv"
    store = LabelStore(labels)
    store.record([Decision("s0", "role", "peer_support", "ann", "test")])
    orphans = [tmp_path / ".labels.csv.abc123.tmp", tmp_path / ".labels.log.csv.x1.tmp",
               tmp_path / ".labels.conflicts.csv.y.tmp"]
    for orphan in orphans:
        orphan.write_text("half a file")
    other = tmp_path / ".queue.csv.zz.tmp"  # not the store's: left alone
    other.write_text("x")
    store.record([Decision("s1", "role", "peer_support", "ann", "test")])
    assert not any(o.exists() for o in orphans) and other.exists()


def test_cache_and_workbook_leftovers_of_a_killed_run_are_removed(tmp_path):
    import os
    import time

    from classifier.batch.cache import DiskCache
    from classifier.io.xlsx_out import XlsxWriter

    cache = DiskCache(tmp_path / "cache")
    assert cache.put("predictions", "ab" + "0" * 62, {"part": {}})
    old = tmp_path / "cache" / "predictions" / "ab" / ".ab01.json.killed.tmp"
    fresh = tmp_path / "cache" / "predictions" / "ab" / ".ab02.json.writing-now.tmp"
    old.write_text("{")
    fresh.write_text("{")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert cache.sweep() == 1 and not old.exists() and fresh.exists()
    part = tmp_path / ".out.xlsx.k1ll3d.part"
    part.write_bytes(b"PK")
    os.utime(part, (time.time() - 7200, time.time() - 7200))
    with XlsxWriter(tmp_path / "out.xlsx") as writer:
        writer.write({"id": "a", "title": "t"})
    assert not part.exists() and (tmp_path / "out.xlsx").exists()


def test_an_atomic_write_removes_old_leftovers_of_killed_writes_to_the_same_file(tmp_path):
    import os
    import time

    from classifier.review.queuefile import write_queue

    old = tmp_path / ".queue.csv.k1ll3d.tmp"
    recent = tmp_path / ".queue.csv.inprogress.tmp"
    for leftover in (old, recent):
        leftover.write_text("half")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    write_queue(tmp_path / "queue.csv", [])
    assert not old.exists() and recent.exists() and (tmp_path / "queue.csv").exists()
