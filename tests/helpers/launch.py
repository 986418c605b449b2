"""Start ``python -m classifier serve`` as a child process and learn its address.

Used by ``scripts/screenshots.py`` and the browser tests: the server picks a free port (``--port 0``)
and prints ``Review page: http://127.0.0.1:PORT/``; :func:`start_server` waits for that line.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

ADDRESS = re.compile(r"Review page: (http://\S+/)")


class ServerError(Exception):
    """The server did not start (its output says why)."""


def start_server(predictions: Path, annotations: Path, *args: str, timeout: float = 60.0,
                 cwd: Path | None = None) -> tuple[subprocess.Popen, str]:
    """``(process, base_url)``; raises ServerError with the server's own message when it fails."""
    command = [sys.executable, "-m", "classifier", "serve", "--predictions", str(predictions),
               "--annotations", str(annotations), "--port", "0", *args]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if cwd is None:
        cwd = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                               cwd=cwd)
    found: dict = {}
    lines: list[str] = []

    def read() -> None:
        for line in process.stdout:
            lines.append(line.rstrip())
            match = ADDRESS.search(line)
            if match and "url" not in found:
                found["url"] = match.group(1)
                ready.set()
        ready.set()  # the output ended: the server stopped

    ready = threading.Event()
    threading.Thread(target=read, daemon=True).start()
    ready.wait(timeout)
    if "url" not in found:
        process.kill()
        process.wait()
        raise ServerError("serve did not start: " + (" | ".join(lines[-5:]) or "no output"))
    process.output_lines = lines  # everything printed since, for tests that look at it
    return process, found["url"]


def stop_server(process: subprocess.Popen, timeout: float = 10.0) -> int:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode
