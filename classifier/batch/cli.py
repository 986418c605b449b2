"""``python predict.py INPUT... --out FILE.csv`` (also ``python -m classifier predict``).

Exit status: 0 every document labelled; 1 some failed (their rows say why); 2 nothing could run
(bad arguments, missing model, unreachable scheduler), with a one-line message and no traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .inputs import InputError, Plan


def threading_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse prints the whole usage otherwise)
        raise _UsageError(f"{message} (see: python predict.py --help)")


class _UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="predict.py",
        description="Label studies (PDF files, .txt files, directories of them, or records files "
                    "with titles and abstracts) for peer-worker role, service-cycle phases and "
                    "boundary-spanner language. One row per document, in input order.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="PDF or .txt files, directories (searched recursively), or records files "
                        "(.csv, .tsv, .tab, .xlsx, .ris, .jsonl; a .txt export holding RIS or Web of Science "
                        "records is read as records)")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="predictions CSV (written as documents finish)")
    p.add_argument("--jsonl", metavar="FILE.jsonl", help="also write predictions with evidence sentences as JSON Lines")
    p.add_argument("--xlsx", metavar="FILE.xlsx", help="also write an Excel workbook for reviewers")
    p.add_argument("--ris", metavar="FILE.ris", help="also write the charting as RIS for a reference manager "
                   "(labels as keywords 'role: peer_support', the tool's note in N1)")
    p.add_argument("--refs-csv", metavar="FILE.csv", help="also write a reference-list CSV (Rayyan's columns) "
                   "with the labels in keywords and notes")
    p.add_argument("--model", metavar="PATH", help="model directory (default: the model shipped in models/)")
    p.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                   help="parallel workers (default 1; -1 = one per CPU core)")
    p.add_argument("--backend", choices=("loky", "dask"), default=None,
                   help="loky: worker processes on this machine (default); dask: a Dask cluster")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--connect-timeout", type=float, default=20.0, metavar="SECONDS",
                   help="how long to wait for the Dask scheduler (default 20)")
    p.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                   help="time limit per document (default 120; 0 = none)")
    p.add_argument("--max-memory", type=float, default=2048, metavar="MB",
                   help="memory limit per worker in MB (default 2048; 0 = none): a document that needs "
                        "more gets an error row and the batch goes on")
    p.add_argument("--max-pages", type=int, default=500, metavar="N",
                   help="refuse PDFs longer than this (default 500)")
    p.add_argument("--engine", choices=("pdfium", "plumber"), default="pdfium",
                   help="PDF text engine (default pdfium: fast; plumber: slower, for odd layouts)")
    p.add_argument("--ocr", choices=("auto", "always", "never"), default="auto",
                   help="read scanned pages by OCR with Tesseract: auto = pages without a usable text layer "
                        "(default), always = every page, never = none (scans are then error rows)")
    p.add_argument("--error-rate", type=float, default=None, metavar="RATE",
                   help="error rate allowed among labels marked 'confident' (accept unread); the others are "
                        "marked 'check' (default 0.05)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the extraction cache")
    p.add_argument("--cache-dir", metavar="DIR",
                   help="cache directory (default $XDG_CACHE_HOME/peer-charting, else ~/.cache/peer-charting)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no summary")
    return p


def _check_outputs(args) -> list[Path]:
    outs = [Path(x) for x in (args.out, args.jsonl, args.xlsx, args.ris, args.refs_csv) if x]
    resolved = [o.resolve() for o in outs]
    if len(set(resolved)) != len(resolved):
        raise _UsageError("--out, --jsonl, --xlsx, --ris and --refs-csv must be different files")
    inputs = {Path(i).resolve() for i in args.inputs}
    for out, res in zip(outs, resolved):
        if res in inputs:
            raise _UsageError(f"{out}: is also an INPUT; refusing to overwrite it")
        if res.is_dir():
            raise _UsageError(f"{out}: is a directory, expected a file name")
    if args.xlsx and not args.xlsx.lower().endswith(".xlsx"):
        raise _UsageError(f"{args.xlsx}: --xlsx needs a file name ending in .xlsx")
    return outs


def _settings(args):
    from .cache import default_cache_dir
    from .worker import WorkerSettings

    if args.jobs == 0 or args.jobs < -1:
        raise _UsageError(f"-j {args.jobs}: give a number of workers >= 1 (or -1 for one per core)")
    if args.timeout < 0:
        raise _UsageError("--timeout must be 0 (no limit) or a number of seconds")
    if args.max_memory < 0 or 0 < args.max_memory < 300:
        raise _UsageError("--max-memory must be 0 (no limit) or at least 300 (MB)")
    if args.max_pages < 1:
        raise _UsageError("--max-pages must be at least 1")
    if args.error_rate is not None and not 0 < args.error_rate < 0.5:
        raise _UsageError("--error-rate must be a share between 0 and 0.5, e.g. 0.05 for 5%")
    if args.model and not Path(args.model).exists():
        raise _UsageError(f"--model {args.model}: no such file or directory")
    cache_dir = None if args.no_cache else str(Path(args.cache_dir) if args.cache_dir else default_cache_dir())
    return WorkerSettings(model_path=args.model, engine=args.engine, max_pages=args.max_pages,
                          max_memory=args.max_memory,
                          timeout=args.timeout, cache_dir=cache_dir, error_rate=args.error_rate,
                          ocr=args.ocr)


def _audit(settings) -> dict:
    """The audit columns every row carries: the model's name, version and file hash, the codebook version."""
    from ..schema import codebook_version

    audit = {"model_name": "", "model_version": "", "model_hash": "", "codebook_version": codebook_version()}
    if settings.model_loader == "classifier.model:load_model":
        from ..model.persist import ModelError, model_identity

        try:
            audit.update(model_identity(settings.model_path))
        except ModelError:
            pass  # load_model in the workers says what is wrong, in every row
    return audit


def _backend(args):
    from .backends import DaskBackend, LokyBackend

    backend = args.backend or ("dask" if args.scheduler else "loky")
    jobs = os.cpu_count() or 1 if args.jobs == -1 else args.jobs
    if backend == "dask":
        if not args.scheduler:
            raise _UsageError("--backend dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        return DaskBackend(args.scheduler, n_jobs=jobs, connect_timeout=args.connect_timeout)
    if args.scheduler:
        raise _UsageError("--scheduler is only used with --backend dask")
    return LokyBackend(jobs)


def run(args, stderr=None) -> int:
    """Run a parsed command line; returns the exit status."""
    from ..io.csv_out import CsvWriter
    from .progress import Progress
    from .runner import BatchRunner, Summary
    from .worker import FatalError

    stderr = stderr or sys.stderr
    started = time.monotonic()
    outs = _check_outputs(args)
    settings = _settings(args)
    plan = Plan(args.inputs)
    backend = _backend(args)
    writers = []
    aborted = False
    progress = None
    total = 0
    summary = Summary()
    try:
        runner = BatchRunner(settings, backend, use_cache=not args.no_cache)
        runner.check_model()  # a missing or unloadable model stops here, before any output is touched
        audit = _audit(settings)
        total = plan.count()
        for out in outs:
            out.parent.mkdir(parents=True, exist_ok=True)
        writers.append(CsvWriter(args.out))
        if args.jsonl:
            from ..io.jsonl_out import JsonlWriter

            writers.append(JsonlWriter(args.jsonl))
        if args.xlsx:
            from ..io.xlsx_out import XlsxWriter

            writers.append(XlsxWriter(args.xlsx))
        if args.ris:
            from ..io.ris_out import RisWriter

            writers.append(RisWriter(args.ris))
        if args.refs_csv:
            from ..io.refs_csv_out import RefsCsvWriter

            writers.append(RefsCsvWriter(args.refs_csv))
        progress = Progress(total, quiet=args.quiet, stream=stderr)
        for row, stats in runner.run(plan):
            row.update(audit)
            row = _write(writers, row)
            summary.add(row, stats)
            progress.update(ok=row.get("status") == "ok")
        progress.close()
        for writer in writers:
            writer.close()
    except FatalError as exc:
        if progress:
            progress.close()
        print(f"error: {exc}", file=stderr)
        return 2
    except KeyboardInterrupt:
        aborted = True
        if progress:
            progress.close()
        for writer in writers:
            if not hasattr(writer, "_wb"):
                writer.close()
        again = ("run the same command again to finish (finished documents come from the cache)"
                 if not args.no_cache else "run it again to redo them (--no-cache: nothing was cached)")
        print(f"interrupted: {summary.total} of {total} documents are in {args.out}; {again}", file=stderr)
        return 130
    finally:
        backend.close(abort=aborted)
    summary.seconds = time.monotonic() - started
    if not args.quiet:
        print(_summary_line(summary, args.out, getattr(runner, "restarts", 0)), file=stderr)
    if summary.total == 0:
        print("warning: no documents found in the inputs (PDF or .txt files, or records)", file=stderr)
    if summary.duplicates:
        shown = ", ".join(repr(d) for d in summary.duplicates[:3])
        print(f"warning: {len(summary.duplicates)} id(s) occur more than once ({shown}"
              f"{' ...' if len(summary.duplicates) > 3 else ''}); each row is kept, but tools that look "
              f"predictions up by id will see only one of them", file=stderr)
    return 1 if summary.failed else 0


def _write(writers, row: dict) -> dict:
    """Write ``row`` to every output; where it cannot be written (a value no file can hold), its
    error row is written instead, and the batch goes on. Returns the row as counted."""
    written = row
    for writer in writers:
        try:
            writer.write(row)
        except OSError:
            raise  # a full disk or a vanished output: nothing more can be written
        except Exception as exc:  # noqa: BLE001 - one row, never the batch
            written = _unwritable(row, exc)
            writer.write(written)
    return written


def _unwritable(row: dict, exc: Exception) -> dict:
    from .rows import LABEL_FIELDS

    def clean(value) -> str:
        return str(value).encode("utf-8", "replace").decode("utf-8")

    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    bad = {"id": clean(row.get("id", "")), "source": clean(row.get("source", "")), "status": "error",
           "error": clean(f"this document's row could not be written ({type(exc).__name__}: {reason})"),
           "title": "", "doi": "", "pages": "", "peer_terms": "", "evidence": {}}
    bad.update({k: "" for k in LABEL_FIELDS})
    return bad


def _summary_line(s, out, restarts: int) -> str:
    parts = [f"labelled {s.ok} of {s.total} documents in {s.seconds:.1f} s"]
    if s.failed:
        parts.append(f"{s.failed} failed (status=error; the error column of {out} says why)")
    parts.append(f"extracted {s.extracted} files, {s.document_cache_hits} from the text cache, "
                 f"{s.prediction_cache_hits} predictions from the cache")
    if restarts:
        parts.append(f"{restarts} worker restart(s)")
    line = "; ".join(parts)
    if s.eligible or s.excluded:
        line += "\n" + screening_lines(s.eligible, s.excluded)
    if s.off_topic:
        line += (f"\nnote: {s.off_topic} labelled document(s) never mention peers, peer workers or lived "
                 f"experience (peer_terms = 0 in {out}): probably not studies of peer workers; check them "
                 f"before trusting their labels")
    return line


def screening_lines(eligible: int, excluded: dict) -> str:
    """The PRISMA-style count of a batch: assessed, eligible, excluded with reasons (schema order)."""
    from ..schema import eligibility_task

    task = eligibility_task()
    n_out = sum(excluded.values())
    order = [r for r in task.reasons if r in excluded] + sorted(r for r in excluded if r not in task.reasons)
    lines = [f"screening: {eligible + n_out} assessed for eligibility, {eligible} eligible, {n_out} excluded"]
    lines += [f"  excluded, {task.describe_reason(r)} ({r}): {excluded[r]}" for r in order]
    if n_out:
        lines.append("  (the exclusion_reason column says which; an excluded study's role, phases and "
                     "boundary-spanner labels are kept, for checking only)")
    return "\n".join(lines)


def _terminate(signum, frame):
    raise KeyboardInterrupt  # `kill PID` (SIGTERM) or a closed terminal: stop as tidily as Ctrl-C


def main(argv: list[str] | None = None) -> int:
    import signal

    argv = list(sys.argv[1:] if argv is None else argv)
    if threading_main():
        for name in ("SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), _terminate)
    try:
        args = build_parser().parse_args(argv)
        return run(args)
    except (_UsageError, InputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # BackendError, an unwritable output file ...
        from .backends import BackendError

        if isinstance(exc, (BackendError, OSError)):
            text = f"{getattr(exc, 'filename', '') or ''}: {exc.strerror}" if isinstance(exc, OSError) and exc.strerror else str(exc)
            print(f"error: {text.strip(': ')}", file=sys.stderr)
            return 2
        if os.environ.get("PEER_CHARTING_DEBUG"):
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"error: unexpected failure ({type(exc).__name__}: {message}); rows finished so far are in "
              f"the output file (set PEER_CHARTING_DEBUG=1 to see the details)", file=sys.stderr)
        return 2
