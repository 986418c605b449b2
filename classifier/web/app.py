"""The review page: a Flask app factory, one blueprint of routes and one state object.

:class:`ReviewState` holds what the pages share (the predictions file, the label store, the section
texts, the queue-order cache, the rules predictions, the background retrainer, the current model);
the routes in :data:`pages` find it as ``current_app.extensions["review"]``.

Pages: ``/queue`` (documents in strategy order, progress, filters), ``/doc/<id>`` (predictions,
confidences, evidence highlighted in its section text, the form that confirms or corrects each
label), ``/model`` (decisions waiting for retraining, the evaluation report, a retrain button).

Every save goes through :class:`classifier.review.store.LabelStore` (lock, atomic replace,
append-only log, conflicts kept). Templates autoescape; document text is never marked safe.
The app answers only requests addressed to the host it was bound to (a DNS-rebinding guard; bound
to every interface, to this machine's names and the address the request arrived on) and every
state-changing request (save, retrain) must carry the browser session's token, which only the
page itself can read: another web page (a form in a sandboxed frame, a script) cannot write labels
through it. A document's text is read only from files under the folders the user named.
"""
from __future__ import annotations

import getpass
import hmac
import os
import secrets
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

from flask import (Blueprint, Flask, abort, current_app, jsonify, redirect, render_template, request,
                   send_from_directory, session, url_for)
from werkzeug.routing import PathConverter

from ..io.predictions import OFF_TOPIC_NOTE, PredictionsError, load_predictions, off_topic
from ..io.labels import LabelsError
from ..locations import default_model_path
from ..review.blind import load_round, masked, own_labels
from ..review.retrain import BackgroundRetrainer
from ..review.store import Decision, LabelStore
from ..review.strategies import DOUBTFUL_NOTE, doubtful_evidence
from ..schema import REASON_COLUMN, charting_task_names, eligibility_task, task_names, tasks
from . import model_page
from .highlight import SectionSource, build_view
from .queue import DEFAULT_STRATEGY, available_strategies, build_queue, order
from .rules import RulesPredictions

LOCAL_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
SOURCE = "web"
PAGE_SIZE = 200  # queue rows per page
LOCK_TIMEOUT = 15.0  # seconds a save waits for another writer before saying so  # the log's source column for decisions made on this page

# keyboard shortcuts: fixed keys for the actions; one key per task value, derived from the schema, written
# on each form input (data-key) for static/app.js and listed on the page
ACTION_KEYS = [
    ("a", "accept every prediction (fills the form; then save)"),
    ("u", "clear the form (every task unknown)"),
    ("s", "save"),
    ("n", "next document in the queue"),
    ("p", "previous document"),
    ("q", "back to the queue"),
    ("?", "show or hide these keys"),
]
YES_NO_KEYS = ("t", "f")  # the first yes/no charting task; further ones get digits like the other values
# the screening task (``eligible``) has its own letters, so the charting keys stay the same whatever is
# screened first: e = eligible, x = exclude (not eligible; then choose the reason)
SCREENING_KEYS = ("e", "x")


def value_keys() -> dict[tuple[str, str], str]:
    """``{(task, value): key}``: ``e``/``x`` for the screening task (eligible / not), then, for the
    charting tasks, digits 1-9 for the values of one-of and any-of tasks in schema order (role 1-3,
    phases 4-7), ``t``/``f`` for the first yes/no task, digits again for any further one."""
    digits = iter("123456789")
    keys: dict[tuple[str, str], str] = {}
    letters_used = False
    for task in tasks().values():
        if task.stage == "screening" and task.kind == "binary":
            keys.update({(task.name, "true"): SCREENING_KEYS[0], (task.name, "false"): SCREENING_KEYS[1]})
            continue
        if task.kind == "binary" and not letters_used:
            keys.update({(task.name, "true"): YES_NO_KEYS[0], (task.name, "false"): YES_NO_KEYS[1]})
            letters_used = True
            continue
        for value in task.values:
            key = next(digits, None)
            if key is not None:
                keys[(task.name, value)] = key
    if set(keys.values()) & {k for k, _ in ACTION_KEYS} or len(set(keys.values())) != len(keys):
        raise ValueError("schema.yml: two task values, or a value and an action, would share a keyboard key")
    return keys


def shortcuts() -> list[tuple[str, str]]:
    """The keys as the page lists them: the fixed actions, then one line per task."""
    keys = value_keys()
    lines = [ACTION_KEYS[0]]
    for task in tasks().values():
        mine = [(v, keys[(task.name, v)]) for v in task.values if (task.name, v) in keys]
        if mine:
            verb = "toggle " if task.kind == "multi" else ""
            names = [label_text(v) for v, _ in mine]
            if task.stage == "screening" and task.kind == "binary":
                names = ["yes" if v == "true" else "no, excluded (choose the reason)" for v, _ in mine]
            lines.append((" ".join(k for _, k in mine),
                          f"{task.name.replace('_', ' ')}: {verb}{' / '.join(names)}"))
    return lines + ACTION_KEYS[1:]


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
    blind: bool = False             # chart the blind round beside the labels file (review/blind.py)
    sources: list[Path] | None = None  # more folders whose files the page may show as document text


def default_reviewer() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USER", "") or "reviewer"


def shipped_model_dir() -> Path | None:
    """The model ``predict.py`` uses without --model (``classifier.locations``), if it is there."""
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


class ReviewState:
    """What every page of one running review page shares (built once by :func:`create_app`)."""

    def __init__(self, config: ServeConfig):
        self.config = config
        self.predictions = Predictions(Path(config.predictions))
        self.store = LabelStore(config.annotations, lock_timeout=LOCK_TIMEOUT)
        roots = [Path.cwd(), *(Path(t) if Path(t).is_dir() else Path(t).parent for t in (config.texts or [])),
                 *(config.sources or [])]
        self.sources = SectionSource(base_dir=Path(config.predictions).resolve().parent, roots=roots)
        self.reviewer_default = config.reviewer or default_reviewer()
        self.model = config.model if config.model is not None else shipped_model_dir()
        self.model_out = config.model_out or Path(config.annotations).resolve().parent / "retrained_model"
        self.rules = RulesPredictions(config.texts, config.model)
        self.retrainer = BackgroundRetrainer(Path(config.annotations), config.texts, on_done=self.switch_model)
        # the strategy order depends only on the predictions: computed once per file version, strategy and task
        self._orders: dict = {}
        self._orders_lock = threading.Lock()
        self.allowed_hosts = {h.lower() for h in LOCAL_NAMES} | {config.host.lower()}
        self.any_host = config.host in ("0.0.0.0", "::", "")
        if self.any_host:  # every interface: this machine's own names still, never a foreign name
            self.allowed_hosts |= machine_names()
        # blind double charting: only the round's studies, only the reviewer's own labels, no conflicts
        # shown, and no model labels when the round hides them (raises BlindError: the CLI reports it)
        self.blind = load_round(self.store) if config.blind else None
        self.hide_model = bool(self.blind and self.blind.hide_model)

    def reviewer(self) -> str:
        """The name the page asked for once and keeps in a cookie; in a blind round, no login-name guess."""
        name = " ".join((request.cookies.get("reviewer") or "").split())[:80]
        return name or self.config.reviewer or ("" if self.blind else self.reviewer_default)

    def shown(self, pred: dict) -> dict:
        return masked(pred) if self.hide_model else pred

    def in_round(self, study_id: str) -> bool:
        return self.blind is None or study_id in self.blind.studies

    def switch_model(self, path: Path) -> None:
        """A retrained model is now the current one (its age decides what waits for retraining)."""
        self.model = path

    def strategies(self) -> tuple[str, ...]:
        return available_strategies(with_rules=self.rules.available())

    def read_labels(self):
        """(labels, log rows, message): a broken labels file is said on the page, not raised."""
        try:
            if self.blind is not None:
                me, studies = self.reviewer(), set(self.blind.studies)
                labels, problems = (own_labels(self.store, me, self.blind.studies) if me else {}), []
                log_rows = [r for r in self.store.log() if me and r.get("reviewer") == me and r.get("study") in studies]
            else:
                labels, problems = self.store.labels_and_problems()
                log_rows = self.store.log()
        except (LabelsError, OSError) as exc:
            return {}, [], str(exc)
        message = ""
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            message = (f"{problems[0]}{more}: shown as unknown here; the file keeps the text, and a decision "
                       f"for that cell is kept as a conflict unless you tick 'replace'.")
        return labels, log_rows, message

    def conflicts(self, study_id: str | None = None) -> list:
        if self.blind is not None:
            return []  # a conflict would tell one reviewer what another said
        try:
            pending = self.store.conflicts()
        except (LabelsError, OSError):
            return []
        return [c for c in pending if study_id is None or c.study_id == study_id]

    def ordered(self, data, strategy: str, task: str | None, rules) -> list[dict]:
        key = (strategy, task, rules is not None)
        with self._orders_lock:
            cached = self._orders.get(key)
        # the cached order is for this very file version (the entry holds the PredictionSet it came from)
        if cached is not None and cached[0] is data:
            return cached[1]
        result = order(data.items, strategy, task, rules)
        with self._orders_lock:
            self._orders[key] = (data, result)
        return result

    def queue(self, args: dict) -> dict:
        """The queue as the filters in ``args`` (strategy, task, label, show) ask for it."""
        strategy = args.get("strategy") or self.config.strategy
        if strategy not in self.strategies():
            strategy = DEFAULT_STRATEGY
        task = args.get("task") if args.get("task") in task_names() else None
        label = args.get("label") or None
        show = args.get("show") if args.get("show") in ("all", "todo", "reviewed") else "all"
        labels, log_rows, problem = self.read_labels()
        data = self.predictions.current()
        rules, notice = None, ""
        if strategy == "disagreement":
            rules = self.rules.aligned(data.items)
            if rules is None:
                notice = f"Disagreement order: {self.rules.message} Shown in uncertainty order until then."
                strategy = "uncertainty"
        items, ordered = data.items, self.ordered(data, strategy, task, rules)
        if self.blind is not None:  # the round's studies in the round's order
            by_id = {p["id"]: p for p in data.items}
            items = ordered = [self.shown(by_id[s]) for s in self.blind.studies if s in by_id]
        rows, progress = build_queue(items, labels, log_rows, strategy=strategy, task=task, label=label,
                                     show=show, ordered=ordered)
        return {"rows": rows, "progress": progress, "strategy": args.get("strategy") or strategy, "task": task,
                "label": label, "show": show, "labels": labels, "log_rows": log_rows, "problem": problem,
                "data": data, "notice": notice}

    def neighbours(self, study_id: str, args: dict):
        q = self.queue(args)
        ids = [row.pred["id"] for row in q["rows"]]
        todo = [row.pred["id"] for row in q["rows"] if not row.reviewed and row.pred["id"] != study_id]
        if study_id not in ids:
            # the document left the filtered list (e.g. just reviewed): next = first still to review
            return None, (todo[0] if todo else None), q
        i = ids.index(study_id)
        later_todo = [row.pred["id"] for row in q["rows"][i + 1:] if not row.reviewed]
        # next: the next one still to review after this one, else the first still to review, else the next
        nxt = (later_todo or todo or [None])[0] or (ids[i + 1] if i + 1 < len(ids) else None)
        prev = ids[i - 1] if i > 0 else None
        return prev, nxt, q

    def document(self, study_id: str, args: dict, **extra) -> dict:
        """The document page's context (404 when the predictions have no such study)."""
        pred = self.predictions.current().get(study_id)
        if pred is None or not self.in_round(study_id):
            abort(404)
        pred = self.shown(pred)
        prev_id, next_id, q = self.neighbours(study_id, args)
        sections, origin, note = self.sources.sections_for(pred)
        view = build_view(pred, sections, origin, note)
        title = pred["title"] or next((" ".join(str(s.get("text") or "").split()) for s in sections or []
                                       if s.get("name") == "title" and s.get("text")), "") or pred["id"]
        current = q["labels"].get(study_id, {t: None for t in task_names()})
        history = [row for row in q["log_rows"] if row.get("study") == study_id][-12:]
        form = extra.pop("form", None) or {t: current.get(t) for t in task_names()}
        reason_now = current.get(REASON_COLUMN) or ""
        form.setdefault(REASON_COLUMN, reason_now)
        return dict(pred=pred, view=view, title=title, current=current, form=form,
                    screening=eligibility_task(), reason_now=reason_now,
                    pending=self.conflicts(study_id), history=history, prev_id=prev_id, next_id=next_id, args=args,
                    qs=urlencode(args), problem=q["problem"], progress=q["progress"],
                    reviewer=self.reviewer(), shortcuts=shortcuts(),
                    value_keys=value_keys(), **extra)


def state() -> ReviewState:
    return current_app.extensions["review"]


pages = Blueprint("review", __name__)


def create_app(config: ServeConfig) -> Flask:
    app = Flask(__name__)
    app.config["SERVE"] = config
    app.config["MAX_CONTENT_LENGTH"] = 1 << 20
    # the session cookie carries the token forms must send back; its key lives as long as the server
    app.secret_key = secrets.token_bytes(32)
    app.config.update(SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_NAME="peer_charting_session")
    app.url_map.converters["docid"] = DocIdConverter
    app.jinja_env.autoescape = True  # every template, whatever its name
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    review = ReviewState(config)
    app.extensions["review"] = review
    app.extensions["retrainer"] = review.retrainer
    app.extensions["predictions"] = review.predictions
    app.extensions["rules"] = review.rules
    app.register_blueprint(pages)
    return app


# ---- guards --------------------------------------------------------------------------------------
@pages.before_app_request
def check_host():
    review = state()
    host = (request.host or "").lower()
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if name not in review.allowed_hosts and not (review.any_host and name.strip("[]") == arrival_address()):
        return render_template("error.html", title="Wrong address",
                               message=f"This page only answers at {review.config.host}."), 421
    token = session.get("csrf")
    if not token:
        session["csrf"] = token = secrets.token_urlsafe(32)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        origin = request.headers.get("Origin") or request.headers.get("Referer")
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
        foreign = origin is not None and (origin == "null" or urlsplit(origin).netloc.lower() != host)
        if foreign or not hmac.compare_digest(sent.encode(), token.encode()):
            return render_template("error.html", title="Refused",
                                   message="This request did not come from this review page (another web site, "
                                           "or a page open since the server restarted); nothing was saved. "
                                           "Reload the page and save again."), 403


def arrival_address() -> str:
    """The local address the request arrived on (werkzeug's server gives the socket)."""
    sock = request.environ.get("werkzeug.socket")
    try:
        return str(sock.getsockname()[0]).lower() if sock is not None else ""
    except OSError:
        return ""


@pages.after_app_request
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


@pages.app_errorhandler(404)
def not_found(_):
    return render_template("error.html", title="Not found",
                           message="There is no such page or document here."), 404


@pages.app_errorhandler(Exception)
def unexpected(exc):
    if hasattr(exc, "code") and hasattr(exc, "description"):  # an HTTPException: show its own words
        return render_template("error.html", title=getattr(exc, "name", "Error"),
                               message=exc.description), exc.code
    line = (str(exc).splitlines()[0] if str(exc) else "")[:300]
    print(f"serve: {request.path}: {type(exc).__name__}: {line}", file=sys.stderr)
    return render_template("error.html", title="Something went wrong",
                           message=f"{type(exc).__name__}: {line}. If you were saving, open the document again "
                                   "to see what the labels file holds."), 500


@pages.app_context_processor
def globals_():
    review = state()
    return {"csrf_token": session.get("csrf", ""), "TASKS": tasks(), "task_names": task_names(),
            "charting_names": charting_task_names(), "pct": _pct, "label_text": label_text,
            "off_topic": off_topic, "OFF_TOPIC_NOTE": OFF_TOPIC_NOTE,
            "doubtful": doubtful_evidence, "DOUBTFUL_NOTE": DOUBTFUL_NOTE, "blind": review.blind is not None,
            "hide_model": review.hide_model}


def queue_args() -> dict:
    return {key: request.args[key] for key in ("strategy", "task", "label", "show") if request.args.get(key, "")}


# ---- pages ---------------------------------------------------------------------------------------
@pages.get("/")
def index():
    return redirect(url_for(".queue_page"))


@pages.get("/favicon.ico")
def favicon():
    return "", 204


@pages.get("/queue")
def queue_page():
    review = state()
    args = queue_args()
    q = review.queue(args)
    label_options = [(t, v) for t in task_names() for v in tasks()[t].values if q["task"] in (None, t)]
    count = max(1, -(-len(q["rows"]) // PAGE_SIZE))
    try:
        number = min(max(1, int(request.args.get("page", 1))), count)
    except ValueError:
        number = 1
    shown = q["rows"][(number - 1) * PAGE_SIZE: number * PAGE_SIZE]
    return render_template("queue.html", q=q, args=args, qs=urlencode(args), strategies=review.strategies(),
                           conflicts=review.conflicts(), label_options=label_options, shown=shown, page=number,
                           pages=count, page_size=PAGE_SIZE)


@pages.get("/doc/<docid:study_id>")
def document_page(study_id):
    saved = {k: int(request.args.get(k, 0) or 0) for k in ("applied", "unchanged", "conflicts")
             if str(request.args.get(k, "")).isdigit()}
    return render_template("document.html", **state().document(study_id, queue_args(), saved=saved or None))


def _reason_decision(study_id, form_values, form, reviewer, note, force):
    """The exclusion reason the form gives with ``eligible = false`` (a reason is required then).
    Returns (Decision or None, error message or None)."""
    task = eligibility_task()
    verdict = form_values.get(task.name)
    try:
        reason = task.parse_reason(form.get(REASON_COLUMN, ""))
    except ValueError as exc:
        return None, str(exc)
    if verdict == "false":
        if not reason:
            return None, "Choose why the study is not eligible (the exclusion reason)."
        return Decision(study_id, REASON_COLUMN, reason, reviewer, SOURCE, note, force=task.name in force), None
    if verdict == "true" and reason:
        return None, "An eligible study has no exclusion reason: clear it, or mark the study not eligible."
    return None, None


@pages.post("/doc/<docid:study_id>")
def save(study_id):
    review = state()
    args = {k[2:]: v for k, v in request.form.items() if k.startswith("q_") and v}
    if review.predictions.current().get(study_id) is None or not review.in_round(study_id):
        abort(404)
    reviewer = " ".join(request.form.get("reviewer", "").split())[:80] or review.reviewer()
    note = " ".join(request.form.get("note", "").split())[:2000]
    force = set(request.form.getlist("force")) if review.blind is None else set()
    if not reviewer:
        message = "Type your name in the Reviewer box first: in a blind round every decision carries its reviewer."
        return render_template("document.html", **review.document(study_id, args, error=message)), 400
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
        form_values[REASON_COLUMN] = reason_decision.value
    if errors or not decisions:
        message = "; ".join(errors) or ("Nothing to save: choose a value for at least one task (or press a to "
                                        "accept the predictions).")
        return render_template("document.html", **review.document(study_id, args, form=form_values, error=message)), 400
    try:
        result = review.store.record(decisions)
    except (LabelsError, ValueError, OSError) as exc:
        return render_template("document.html", **review.document(study_id, args, form=form_values,
                                                                  error=f"Not saved: {exc}")), 503
    target = dict(args, applied=len(result.applied), unchanged=len(result.unchanged), conflicts=len(result.conflicts))
    if review.blind is not None:  # say nothing of the other reviewers' labels (a conflict would tell)
        target = dict(args, applied=len(decisions), unchanged=0, conflicts=0)
    response = redirect(url_for(".document_page", study_id=study_id) + "?" + urlencode(target), code=303)
    response.set_cookie("reviewer", reviewer, samesite="Strict", httponly=True, max_age=3600 * 24 * 365)
    return response


@pages.get("/model")
def model_view():
    review = state()
    _, log_rows, problem = review.read_labels()
    trained = model_page.model_time(Path(review.model)) if review.model else None
    pending = model_page.pending_decisions(log_rows, trained)
    report = model_page.read_report(Path(review.config.report) if review.config.report else None)
    report.figures = [f for f in report.figures if not f.url.startswith("data:") or model_page.valid_data_url(f.url)]
    return render_template("model.html", model_dir=review.model, trained=trained, pending=pending, report=report,
                           status=review.retrainer.status(), unavailable=review.retrainer.unavailable(),
                           problem=problem, studies=len({r["study"] for r in pending}))


@pages.post("/model/retrain")
def retrain():
    review = state()
    review.retrainer.start_model(review.model_out)
    return redirect(url_for(".model_view"), code=303)


@pages.get("/model/status")
def retrain_status():
    return jsonify(state().retrainer.status().to_dict())


@pages.get("/report/<path:name>")
def report_file(name):
    report_dir = state().config.report
    if not report_dir:
        abort(404)
    if name == "report.html":
        # the full evaluation report, sandboxed: its own markup is shown, no script of it runs
        response = send_from_directory(Path(report_dir).resolve(), name)
        response.headers["Content-Security-Policy"] = (
            "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'")
        return response
    if Path(name).suffix.lower() not in model_page.FIGURE_SUFFIXES:
        abort(404)
    return send_from_directory(Path(report_dir).resolve(), name)


def _pct(value) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def label_text(value) -> str:
    """A label cell for people: 'peer support', 'design; delivery', 'unknown'."""
    if value is None or value == "":
        return "unknown"
    return "; ".join(v.replace("_", " ") for v in str(value).split(";"))


class DocIdConverter(PathConverter):
    """A study id in a URL path: slashes kept (``/doc/10.1000/abc``), but an id holding a ``.`` or
    ``..`` segment (``../x``), which a browser would resolve away, has its slashes encoded as well
    (``/doc/..%2Fx``), so every id gets a link to its own page. The ids ``.`` and ``..`` themselves
    travel as ``~.`` and ``~..``."""

    def to_url(self, value) -> str:
        value = str(value)
        if value in (".", ".."):
            value = "~" + value
        if any(part in (".", "..") for part in value.split("/")):
            return quote(value, safe="")
        return super().to_url(value)

    def to_python(self, value: str) -> str:
        return value[1:] if value in ("~.", "~..") else value


def machine_names() -> set[str]:
    """This machine's host names and addresses, lower-cased: what a browser on the network may put in
    the Host header of a request to a server bound to every interface."""
    names = set()
    try:
        hostname = socket.gethostname()
        names |= {hostname, socket.getfqdn()}
        for info in socket.getaddrinfo(hostname, None):
            names.add(str(info[4][0]))
    except OSError:
        pass
    return {n.lower() for n in names if n}
