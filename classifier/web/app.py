"""The review page: a Flask app factory.

Pages: ``/queue`` (documents in strategy order, progress, filters), ``/doc/<id>`` (predictions,
confidences, evidence highlighted in its section text, the form that confirms or corrects each
label), ``/model`` (decisions waiting for retraining, the evaluation report, a retrain button).

Every save goes through :class:`classifier.review.store.LabelStore` (lock, atomic replace,
append-only log, conflicts kept). Templates autoescape; document text is never marked safe.
The app answers only requests addressed to the host it was bound to (a DNS-rebinding guard) and
refuses cross-site form posts, so another web page cannot write labels through it.
"""
from __future__ import annotations

import getpass
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import Flask, abort, jsonify, redirect, render_template, request, send_from_directory, url_for

from ..io.predictions import OFF_TOPIC_NOTE, off_topic
from ..review.store import REASON_FIELD, Decision, LabelStore, LabelStoreError, read_table
from ..schema import TASK_NAMES, eligibility_task, tasks
from . import model_page
from .highlight import SectionSource, build_view
from .predictions import PredictionsError, load_predictions
from .queue import DEFAULT_STRATEGY, available_strategies, build_queue, order
from .retrain import Retrainer
from .rules import RulesPredictions

LOCAL_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
SOURCE = "web"
PAGE_SIZE = 200  # queue rows per page
LOCK_TIMEOUT = 15.0  # seconds a save waits for another writer before saying so  # the log's source column for decisions made on this page

# keyboard shortcuts, shown on the document page and used by static/app.js
SHORTCUTS = [
    ("a", "accept every prediction (fills the form; then save)"),
    ("1 2 3", "role: pre-determined / peer support / co-creation"),
    ("4 5 6 7", "phases: toggle commissioning / design / delivery / assessment"),
    ("t f", "boundary spanner: true / false"),
    ("u", "clear the form (every task unknown)"),
    ("s", "save"),
    ("n", "next document in the queue"),
    ("p", "previous document"),
    ("q", "back to the queue"),
    ("?", "show or hide these keys"),
]


@dataclass
class ServeConfig:
    predictions: Path
    annotations: Path
    strategy: str = DEFAULT_STRATEGY
    reviewer: str = ""
    host: str = "127.0.0.1"
    report: Path | None = None      # evaluation output folder (metrics.json, report.html, figures)
    model: Path | None = None       # the current model folder (its age decides what "waits for retraining")
    texts: list[Path] | None = None  # the texts to retrain on (as review --texts)
    model_out: Path | None = None   # where a retrained model goes


def default_reviewer() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USER", "") or "reviewer"


def shipped_model_dir() -> Path | None:
    """The model ``predict.py`` uses without --model (``$PEER_CHARTING_MODEL`` or models/peer-charting)."""
    try:
        from ..model.persist import default_model_path
    except ImportError:
        return None
    path = default_model_path()
    return path if path.exists() else None


class Predictions:
    """The predictions file, re-read when it changes on disk (e.g. after predict.py ran again)."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._stamp = None
        self.data = load_predictions(path)  # raises PredictionsError: the CLI reports it
        self._stamp = self._mtime()

    def _mtime(self):
        try:
            st = self.path.stat()
            return st.st_mtime_ns, st.st_size
        except OSError:
            return None

    def current(self):
        stamp = self._mtime()
        if stamp is not None and stamp != self._stamp:
            with self._lock:
                try:
                    self.data = load_predictions(self.path)
                    self._stamp = stamp
                except PredictionsError:
                    pass  # keep showing the last good file (a writer may be half-way through)
        return self.data


def create_app(config: ServeConfig) -> Flask:
    app = Flask(__name__)
    app.config["SERVE"] = config
    app.config["MAX_CONTENT_LENGTH"] = 1 << 20
    app.jinja_env.autoescape = True  # every template, whatever its name
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    predictions = Predictions(Path(config.predictions))
    store = LabelStore(config.annotations, lock_timeout=LOCK_TIMEOUT)
    sources = SectionSource(base_dir=Path(config.predictions).resolve().parent)
    reviewer_default = config.reviewer or default_reviewer()
    state = {"model": config.model if config.model is not None else shipped_model_dir()}
    model_out = config.model_out or Path(config.annotations).resolve().parent / "retrained_model"

    def switch_model(path: Path) -> None:
        state["model"] = path

    rules_cache = RulesPredictions(config.texts, config.model)
    # the strategy order depends only on the predictions: computed once per file version, strategy and task
    order_cache: dict = {}
    order_lock = threading.Lock()

    def strategies() -> tuple[str, ...]:
        return available_strategies(with_rules=rules_cache.available())

    retrainer = Retrainer(Path(config.annotations), config.texts, model_out, on_done=switch_model)
    app.extensions["retrainer"] = retrainer
    app.extensions["predictions"] = predictions
    app.extensions["rules"] = rules_cache
    allowed_hosts = {h.lower() for h in LOCAL_NAMES} | {config.host.lower()}
    any_host = config.host in ("0.0.0.0", "::", "")

    # ---- guards ----------------------------------------------------------------------------------
    @app.before_request
    def check_host():
        host = (request.host or "").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if not any_host and name not in allowed_hosts:
            return render_template("error.html", title="Wrong address",
                                   message=f"This page only answers at {config.host}."), 421
        if request.method == "POST":
            origin = request.headers.get("Origin") or request.headers.get("Referer")
            if origin and origin != "null" and urlsplit(origin).netloc.lower() != host:
                return render_template("error.html", title="Refused",
                                       message="A form from another web site tried to save labels here; refused."), 403

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(404)
    def not_found(_):
        return render_template("error.html", title="Not found",
                               message="There is no such page or document here."), 404

    @app.errorhandler(Exception)
    def unexpected(exc):
        if hasattr(exc, "code") and hasattr(exc, "description"):  # an HTTPException: show its own words
            return render_template("error.html", title=getattr(exc, "name", "Error"),
                                   message=exc.description), exc.code
        line = (str(exc).splitlines()[0] if str(exc) else "")[:300]
        print(f"serve: {request.path}: {type(exc).__name__}: {line}", file=sys.stderr)
        return render_template("error.html", title="Something went wrong",
                               message=f"{type(exc).__name__}: {line}. If you were saving, open the document again "
                                       "to see what the labels file holds."), 500

    # ---- shared context ------------------------------------------------------------------------
    @app.context_processor
    def globals_():
        return {"TASKS": tasks(), "TASK_NAMES": TASK_NAMES, "pct": _pct, "label_text": label_text,
                "off_topic": off_topic, "OFF_TOPIC_NOTE": OFF_TOPIC_NOTE}

    def read_labels():
        """(labels, log rows, message): a broken labels file is said on the page, not raised."""
        try:
            labels, problems = lenient_labels(store)
            log_rows = store.log()
        except (LabelStoreError, OSError) as exc:
            return {}, [], str(exc)
        message = ""
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            message = (f"{problems[0]}{more}: shown as unknown here; the file keeps the text, and a decision "
                       f"for that cell is kept as a conflict unless you tick 'replace'.")
        return labels, log_rows, message

    def queue_args() -> dict:
        args = {}
        for key in ("strategy", "task", "label", "show"):
            value = request.args.get(key, "")
            if value:
                args[key] = value
        return args

    def queue_state(args: dict):
        strategy = args.get("strategy") or config.strategy
        if strategy not in strategies():
            strategy = DEFAULT_STRATEGY
        task = args.get("task") if args.get("task") in TASK_NAMES else None
        label = args.get("label") or None
        show = args.get("show") if args.get("show") in ("all", "todo", "reviewed") else "all"
        labels, log_rows, problem = read_labels()
        data = predictions.current()
        rules, notice = None, ""
        if strategy == "disagreement":
            rules = rules_cache.aligned(data.items)
            if rules is None:
                notice = f"Disagreement order: {rules_cache.message} Shown in uncertainty order until then."
                strategy = "uncertainty"
        key = (strategy, task, rules is not None)
        with order_lock:
            cached = order_cache.get(key)
        # the cached order is for this very file version (the entry holds the PredictionSet it came from)
        ordered = cached[1] if cached is not None and cached[0] is data else None
        if ordered is None:
            ordered = order(data.items, strategy, task, rules)
            with order_lock:
                order_cache[key] = (data, ordered)
        rows, progress = build_queue(data.items, labels, log_rows, strategy=strategy, task=task, label=label,
                                     show=show, ordered=ordered)
        return {"rows": rows, "progress": progress, "strategy": args.get("strategy") or strategy, "task": task,
                "label": label, "show": show, "labels": labels, "log_rows": log_rows, "problem": problem,
                "data": data, "notice": notice}

    # ---- pages -----------------------------------------------------------------------------------
    @app.get("/")
    def index():
        return redirect(url_for("queue_page"))

    @app.get("/favicon.ico")
    def favicon():
        return "", 204

    @app.get("/queue")
    def queue_page():
        args = queue_args()
        q = queue_state(args)
        label_options = [(t, v) for t in TASK_NAMES for v in tasks()[t].values
                         if q["task"] in (None, t)]
        pages = max(1, -(-len(q["rows"]) // PAGE_SIZE))
        try:
            number = min(max(1, int(request.args.get("page", 1))), pages)
        except ValueError:
            number = 1
        shown = q["rows"][(number - 1) * PAGE_SIZE: number * PAGE_SIZE]
        try:
            conflicts = store.conflicts()
        except (LabelStoreError, OSError):
            conflicts = []
        return render_template("queue.html", q=q, args=args, qs=urlencode(args), strategies=strategies(),
                               conflicts=conflicts,
                               label_options=label_options, shown=shown, page=number, pages=pages,
                               page_size=PAGE_SIZE)

    def neighbours(study_id: str, args: dict):
        q = queue_state(args)
        ids = [row.pred["id"] for row in q["rows"]]
        if study_id not in ids:
            # the document left the filtered list (e.g. just reviewed): next = first still to review
            todo = [row.pred["id"] for row in q["rows"] if not row.reviewed and row.pred["id"] != study_id]
            return None, (todo[0] if todo else None), q
        i = ids.index(study_id)
        todo = [row.pred["id"] for row in q["rows"] if not row.reviewed and row.pred["id"] != study_id]
        later_todo = [row.pred["id"] for row in q["rows"][i + 1:] if not row.reviewed]
        # next: the next one still to review after this one, else the first still to review, else the next
        nxt = (later_todo or todo or [None])[0] or (ids[i + 1] if i + 1 < len(ids) else None)
        prev = ids[i - 1] if i > 0 else None
        return prev, nxt, q

    def doc_context(study_id: str, args: dict, **extra):
        data = predictions.current()
        pred = data.get(study_id)
        if pred is None:
            abort(404)
        prev_id, next_id, q = neighbours(study_id, args)
        sections, origin, note = sources.sections_for(pred)
        view = build_view(pred, sections, origin, note)
        title = pred["title"] or next((" ".join(str(s.get("text") or "").split()) for s in sections or []
                                       if s.get("name") == "title" and s.get("text")), "") or pred["id"]
        current = q["labels"].get(study_id, {t: None for t in TASK_NAMES})
        try:
            pending = [c for c in store.conflicts() if c.study_id == study_id]
        except (LabelStoreError, OSError):
            pending = []
        history = [row for row in q["log_rows"] if row.get("study") == study_id][-12:]
        form = extra.pop("form", None) or {t: current.get(t) for t in TASK_NAMES}
        try:
            reason_now = (read_table(store.path).index.get(study_id) or {}).get(REASON_FIELD, "") or ""
        except (LabelStoreError, OSError):
            reason_now = ""
        form.setdefault(eligibility_task().name, current.get(eligibility_task().name))
        form.setdefault(REASON_FIELD, reason_now)
        return dict(pred=pred, view=view, title=title, current=current, form=form, pending=pending, history=history,
                    screening=eligibility_task(), reason_now=reason_now,
                    prev_id=prev_id, next_id=next_id, args=args, qs=urlencode(args), problem=q["problem"],
                    progress=q["progress"], reviewer=request.cookies.get("reviewer") or reviewer_default,
                    shortcuts=SHORTCUTS, **extra)

    @app.get("/doc/<path:study_id>")
    def document_page(study_id):
        args = queue_args()
        saved = {k: int(request.args.get(k, 0) or 0) for k in ("applied", "unchanged", "conflicts")
                 if str(request.args.get(k, "")).isdigit()}
        return render_template("document.html", **doc_context(study_id, args, saved=saved or None))

    @app.post("/doc/<path:study_id>")
    def save(study_id):
        args = {k: v for k, v in request.form.items() if k.startswith("q_") and v}
        args = {k[2:]: v for k, v in args.items()}
        pred = predictions.current().get(study_id)
        if pred is None:
            abort(404)
        reviewer = " ".join(request.form.get("reviewer", "").split())[:80] or reviewer_default
        note = " ".join(request.form.get("note", "").split())[:2000]
        force = set(request.form.getlist("force"))
        form_values, decisions, errors = {}, [], []
        for name, task in tasks().items():
            raw = ";".join(request.form.getlist(name)) if task.kind == "multi" else request.form.get(name, "")
            try:
                value = task.parse(raw)
            except ValueError as exc:
                errors.append(str(exc))
                continue
            form_values[name] = value
            if value is not None:
                decisions.append(Decision(study_id, name, value, reviewer, SOURCE, note, force=name in force))
        reason_decision, reason_error = _reason_decision(study_id, form_values, request.form, reviewer, note, force)
        if reason_error:
            errors.append(reason_error)
        elif reason_decision is not None:
            decisions.append(reason_decision)
            form_values[REASON_FIELD] = reason_decision.value
        if errors or not decisions:
            message = "; ".join(errors) or "Nothing to save: choose a value for at least one task (or press a to accept the predictions)."
            return render_template("document.html", **doc_context(study_id, args, form=form_values, error=message)), 400
        try:
            result = store.record(decisions)
        except (LabelStoreError, ValueError, OSError) as exc:
            message = f"Not saved: {exc}"
            return render_template("document.html", **doc_context(study_id, args, form=form_values, error=message)), 503
        target = dict(args, applied=len(result.applied), unchanged=len(result.unchanged),
                      conflicts=len(result.conflicts))
        response = redirect(url_for("document_page", study_id=study_id) + "?" + urlencode(target), code=303)
        response.set_cookie("reviewer", reviewer, samesite="Strict", httponly=True, max_age=3600 * 24 * 365)
        return response

    @app.get("/model")
    def model_view():
        _, log_rows, problem = read_labels()
        model_dir = state["model"]
        trained = model_page.model_time(Path(model_dir)) if model_dir else None
        pending = model_page.pending_decisions(log_rows, trained)
        report = model_page.read_report(Path(config.report) if config.report else None)
        report.figures = [f for f in report.figures if not f.url.startswith("data:") or model_page.valid_data_url(f.url)]
        return render_template("model.html", model_dir=model_dir, trained=trained, pending=pending,
                               report=report, status=retrainer.status(), unavailable=retrainer.unavailable(),
                               problem=problem, studies=len({r["study"] for r in pending}))

    @app.post("/model/retrain")
    def retrain():
        retrainer.start()
        return redirect(url_for("model_view"), code=303)

    @app.get("/model/status")
    def retrain_status():
        return jsonify(retrainer.status().to_dict())

    @app.get("/report/<path:name>")
    def report_file(name):
        if not config.report:
            abort(404)
        if name == "report.html":
            # the full evaluation report, sandboxed: its own markup is shown, no script of it runs
            response = send_from_directory(Path(config.report).resolve(), name)
            response.headers["Content-Security-Policy"] = (
                "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'")
            return response
        if Path(name).suffix.lower() not in model_page.FIGURE_SUFFIXES:
            abort(404)
        return send_from_directory(Path(config.report).resolve(), name)

    return app


def _reason_decision(study_id, form_values, form, reviewer, note, force):
    """The exclusion reason the form gives with ``eligible = false`` (a reason is required then), or a
    cleared reason when the study is marked eligible. Returns (Decision or None, error message or None)."""
    task = eligibility_task()
    verdict = form_values.get(task.name)
    raw = form.get(REASON_FIELD, "")
    try:
        reason = task.parse_reason(raw)
    except ValueError as exc:
        return None, str(exc)
    if verdict == "false":
        if not reason:
            return None, "Choose why the study is not eligible (the exclusion reason)."
        return Decision(study_id, REASON_FIELD, reason, reviewer, SOURCE, note, force=task.name in force), None
    if verdict == "true" and reason:
        return None, "An eligible study has no exclusion reason: clear it, or mark the study not eligible."
    return None, None


def lenient_labels(store: LabelStore) -> tuple[dict, list[str]]:
    """``{id: {task: value or None}}`` like ``store.labels()``, but a cell the schema does not know
    is read as unknown and reported (one line each) instead of failing the whole page."""
    table = read_table(store.path)
    labels, problems = {}, []
    for number, row in enumerate(table.rows, start=2):
        cells = {}
        for name, task in tasks().items():
            try:
                cells[name] = task.parse(row.get(name))
            except ValueError as exc:
                cells[name] = None
                problems.append(f"{store.path.name} row {number} ({row['id']}): {exc}")
        labels[row["id"]] = cells
    return labels, problems


def _pct(value) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def label_text(value) -> str:
    """A label cell for people: 'peer support', 'design; delivery', 'unknown'."""
    if value is None or value == "":
        return "unknown"
    return "; ".join(v.replace("_", " ") for v in str(value).split(";"))
