"""``python -m classifier serve``: the review page in the browser.

    python -m classifier serve --predictions PRED.jsonl --annotations annotations/labels.csv [--port 8000]

Binds 127.0.0.1 unless told otherwise, prints its address, and serves until Ctrl+C.
Exit status: 0 after a normal stop, 2 when it cannot start (bad arguments or files, port in use).
"""
from __future__ import annotations

import argparse
import errno
import logging
import signal
import socket
import sys
import webbrowser
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    from .queue import DEFAULT_STRATEGY, available_strategies

    p = argparse.ArgumentParser(prog="python -m classifier serve",
                                description="The review page: a queue, a page per document with its predictions "
                                            "and evidence, and a form that saves through the label store.")
    p.add_argument("--predictions", required=True, type=Path, metavar="PRED.jsonl",
                   help="predictions JSONL written by predict.py --jsonl")
    p.add_argument("--annotations", required=True, type=Path, metavar="LABELS.csv",
                   help="the labels file decisions are saved to (created when missing)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: only this computer can open the page)")
    p.add_argument("--strategy", default=DEFAULT_STRATEGY, choices=available_strategies(),
                   help=f"queue order (default {DEFAULT_STRATEGY})")
    p.add_argument("--reviewer", default="", help="name written to the log (default: your login name)")
    p.add_argument("--report", type=Path, metavar="DIR",
                   help="evaluation output folder (evaluate --out DIR) whose figures the model page shows")
    p.add_argument("--model", type=Path, metavar="DIR", help="the current model folder (default: the shipped model)")
    p.add_argument("--texts", type=Path, metavar="PATH", action="extend", nargs="+",
                   help="documents to retrain on: a folder of PDF/.txt files or a records file (repeatable); "
                        "enables the retrain button")
    p.add_argument("--model-out", type=Path, metavar="DIR",
                   help="where the retrain button writes the new model (default: retrained_model beside the labels file)")
    p.add_argument("--open", action="store_true", help="open the page in the default web browser")
    p.add_argument("--verbose", action="store_true", help="log every request")
    return p


def check_files(args) -> str:
    """A one-line reason the server cannot start, or ''."""
    from ..io.labels import LabelsError
    from ..review.store import LabelStore

    labels = args.annotations
    if labels.is_dir():
        return f"{labels}: is a folder; give the labels CSV file (e.g. annotations/labels.csv)"
    if not labels.parent.is_dir():
        return f"{labels}: folder {labels.parent} does not exist"
    try:
        LabelStore(labels).labels()
    except LabelsError as exc:
        return str(exc)
    if args.report is not None and args.report.exists() and not args.report.is_dir():
        return f"{args.report}: --report takes the folder evaluate wrote (with metrics.json), not a file"
    if args.strategy == "disagreement" and not args.texts:
        return ("--strategy disagreement compares the rules with the model on the studies' texts: "
                "pass --texts PATH (as for review)")
    if not 0 <= args.port <= 65535:
        return f"--port {args.port}: not a port number (0-65535)"
    return ""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (raises OSError, e.g. EADDRINUSE)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host.strip("[]"), port))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    listener.set_inheritable(True)
    return listener


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)

    from werkzeug.serving import make_server

    from .app import ServeConfig, create_app
    from ..io.predictions import PredictionsError

    problem = check_files(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    config = ServeConfig(predictions=args.predictions, annotations=args.annotations, strategy=args.strategy,
                         reviewer=args.reviewer, host=args.host, report=args.report, model=args.model,
                         texts=args.texts, model_out=args.model_out)
    try:
        app = create_app(config)
    except PredictionsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        listener = bind(args.host, args.port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"error: port {args.port} on {args.host} is already in use; try --port {args.port + 1} "
                  f"(or stop the other server)", file=sys.stderr)
        else:
            print(f"error: cannot listen on {args.host}:{args.port} ({exc.strerror or exc})", file=sys.stderr)
        return 2
    # werkzeug adopts the bound socket (it would print and exit on a bind error of its own)
    server = make_server(args.host, listener.getsockname()[1], app, threaded=True, fd=listener.fileno())

    host = args.host
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else (f"[{host}]" if ":" in host else host)
    url = f"http://{shown}:{server.port}/"
    data = app.extensions["predictions"].current() if "predictions" in app.extensions else None
    count = f" ({len(data)} documents)" if data is not None else ""
    print(f"Review page: {url}{count}", flush=True)
    print(f"Saving to {args.annotations} (log: {args.annotations.with_name(args.annotations.stem + '.log.csv')}). "
          f"Press Ctrl+C to stop.", flush=True)
    if data is not None and data.problems:
        print(f"warning: {len(data.problems)} line(s) of {args.predictions} skipped, e.g. {data.problems[0]}",
              file=sys.stderr, flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: bound to {host}: anyone who can reach this computer can read and change the labels",
              file=sys.stderr, flush=True)
    if args.strategy == "disagreement" and data is not None:
        app.extensions["rules"].aligned(data.items)  # start computing the rules' predictions now
    if args.open:
        webbrowser.open(url)

    def stop(signum, frame):  # SIGTERM: stop like Ctrl+C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("Stopped.", flush=True)
    finally:
        server.server_close()
        listener.close()
        retrainer = app.extensions.get("retrainer")
        if retrainer is not None:
            retrainer.stop()
    return 0
