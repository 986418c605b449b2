"""``python -m classifier serve`` as a real process: its address, a taken port, and SIGKILL during saves."""
from __future__ import annotations

import csv
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from classifier.review.store import LabelStore
from classifier.schema import tasks
from helpers.launch import start_server, stop_server
from helpers.sample import write_sample


def post(url: str, data: dict, timeout: float = 10.0) -> int:
    """POST as the review page in a browser does: with the session cookie and the form's token (read
    from the page first)."""
    import http.cookiejar
    import re

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(url, timeout=timeout) as page:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode("utf-8")).group(1)
    body = urllib.parse.urlencode(dict(data, csrf_token=token), doseq=True).encode()
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_serve_prints_a_local_address_and_refuses_a_taken_port(tmp_path):
    sample = write_sample(tmp_path, n=4, report=False)
    process, url = start_server(sample["predictions"], sample["annotations"])
    try:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "queue", timeout=10) as response:
            assert "reviewed of <strong>4</strong> queued" in response.read().decode()
        port = urllib.parse.urlsplit(url).port
        from classifier.web.cli import main
        import contextlib
        import io
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(["--predictions", str(sample["predictions"]), "--annotations", str(sample["annotations"]),
                         "--port", str(port)])
        assert code == 2
        assert f"port {port} on 127.0.0.1 is already in use" in err.getvalue()
    finally:
        stop_server(process)


def test_sigkill_during_saves_leaves_a_valid_labels_file(tmp_path):
    sample = write_sample(tmp_path, n=40, report=False)
    labels_path = sample["annotations"]
    process, url = start_server(sample["predictions"], labels_path)
    ids = [f"study_{i:03d}" for i in range(1, 41)]
    roles = tasks()["role"].values
    saved: list[str] = []
    stop = threading.Event()

    def writer(worker: int) -> None:
        n = 0
        while not stop.is_set():
            sid = ids[(worker * 5 + n) % len(ids)]
            data = {"role": roles[n % 3], "phases": ["delivery", "design"][: 1 + n % 2],
                    "boundary_spanner": "true", "reviewer": f"w{worker}", "force": ["role", "phases"],
                    "note": f"round {n}"}
            n += 1
            try:
                if post(url + f"doc/{sid}", data) == 303:
                    saved.append(sid)
            except OSError:
                return  # the server is gone

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    try:
        # kill once saves are flowing, while the writers keep posting
        deadline = time.monotonic() + 180
        while len(saved) < 25 and process.poll() is None and time.monotonic() < deadline:
            threading.Event().wait(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        stop.set()
        for t in threads:
            t.join(15)
    assert process.returncode == -signal.SIGKILL
    assert len(saved) >= 25

    # the labels file is whole: it parses, every cell is a valid label, every saved study is there
    frame = LabelStore(labels_path).load()
    assert set(saved) <= set(frame.index)
    with open(labels_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        for name, task in tasks().items():
            assert task.parse(row.get(name, "")) == (row.get(name) or None)  # an unused task has no column
    assert LabelStore(labels_path).log()  # the log is readable (a torn last line is skipped)

    # a new server on the same files starts and saves (the lock died with the old process)
    process, url = start_server(sample["predictions"], labels_path)
    try:
        assert post(url + "doc/study_040", {"role": "co_creation", "reviewer": "after", "force": "role"}) == 303
        assert LabelStore(labels_path).labels()["study_040"]["role"] == "co_creation"
    finally:
        stop_server(process)
