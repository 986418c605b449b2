"""What the model page shows: the current model's age, the decisions waiting for retraining, and
the latest evaluation report's figures (PNG files in the report folder, or the images embedded in
its ``report.html``) with the headline numbers from ``metrics.json``.
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..schema import task_names

# log outcomes that changed the labels file: those are what a retrain would learn from
CHANGING_OUTCOMES = ("applied", "overwritten", "cleared")
FIGURE_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg")
CARD_NAMES = ("model_card.json", "card.json", "model_card.yml", "card.yml")
_EMBEDDED = re.compile(r"""src\s*=\s*["'](data:image/(?:png|jpeg|svg\+xml);base64,[A-Za-z0-9+/=\s]+)["']""")
_DATA_URL = re.compile(r"data:image/(png|jpeg|svg\+xml);base64,([A-Za-z0-9+/=\s]+)")


def parse_time(text: str) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def model_time(directory: Path | None) -> datetime | None:
    """When the model was trained: its card's ``trained_at``/``created`` when given, else file times."""
    if directory is None or not directory.exists():
        return None
    if directory.is_dir():
        cards = [directory / n for n in CARD_NAMES] + sorted(directory.glob("*.json"))
        for card in cards:
            if card.suffix == ".json" and card.is_file():
                try:
                    data = json.loads(card.read_text("utf-8"))
                except (OSError, ValueError):
                    continue
                for key in ("trained_at", "date", "created", "created_at", "time"):
                    if isinstance(data, dict) and data.get(key):
                        stamp = parse_time(data[key])
                        if stamp:
                            return stamp
        times = [p.stat().st_mtime for p in directory.rglob("*") if p.is_file()]
    else:
        times = [directory.stat().st_mtime]
    return datetime.fromtimestamp(max(times), timezone.utc) if times else None


def pending_decisions(log_rows: list[dict], since: datetime | None) -> list[dict]:
    """Logged decisions that changed a label after ``since`` (all of them when there is no model)."""
    out = []
    for row in log_rows:
        if row.get("outcome") not in CHANGING_OUTCOMES:
            continue
        stamp = parse_time(row.get("time", ""))
        if since is None or stamp is None or stamp > since:
            out.append(row)
    return out


@dataclass
class Figure:
    title: str
    url: str  # /report/<name> or a data: URL from report.html


@dataclass
class Report:
    directory: Path | None
    figures: list[Figure] = field(default_factory=list)
    metrics: list[dict] = field(default_factory=list)  # one row per task: n, macro_f1, accuracy, baselines
    when: str = ""
    message: str = ""   # why there is nothing to show, when there is nothing
    full_report: bool = False  # report.html is there (linked from the page)


def _figure_title(name: str) -> str:
    return Path(name).stem.replace("_", " ").replace("-", " ").strip().capitalize()


def _metric_rows(data: dict) -> list[dict]:
    rows = []
    for task in task_names():
        entry = data.get(task) if isinstance(data, dict) else None
        if not isinstance(entry, dict):
            continue
        model = entry.get("model") if isinstance(entry.get("model"), dict) else {}
        baselines = entry.get("baselines") if isinstance(entry.get("baselines"), dict) else {}
        rows.append({
            "task": task,
            "n": model.get("n"),
            "macro_f1": model.get("macro_f1"),
            "accuracy": model.get("accuracy"),
            "baselines": {name: (b or {}).get("macro_f1") for name, b in baselines.items() if isinstance(b, dict)},
        })
    return rows


def read_report(directory: Path | None) -> Report:
    """The evaluation report in ``directory`` (``evaluate --out DIR``); a clear message when none."""
    if directory is None:
        return Report(None, message="No evaluation report was given. Start the page with --report DIR, where DIR "
                                    "is the folder 'python -m classifier evaluate --out DIR' wrote.")
    if not directory.is_dir():
        return Report(directory, message=f"{directory}: no such folder, so there are no figures to show. Run "
                                         f"'python -m classifier evaluate ... --out {directory}' first.")
    report = Report(directory)
    metrics = directory / "metrics.json"
    if metrics.is_file():
        try:
            report.metrics = _metric_rows(json.loads(metrics.read_text("utf-8")))
            report.when = datetime.fromtimestamp(metrics.stat().st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        except (OSError, ValueError) as exc:
            report.message = f"{metrics}: not readable JSON ({exc}); figures shown without numbers."
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.suffix.lower() in FIGURE_SUFFIXES:
            rel = path.relative_to(directory).as_posix()
            report.figures.append(Figure(_figure_title(path.name), f"/report/{rel}"))
    html = directory / "report.html"
    report.full_report = html.is_file()
    if not report.figures and html.is_file():
        try:
            text = html.read_text("utf-8", errors="replace")
        except OSError:
            text = ""
        for number, match in enumerate(_EMBEDDED.finditer(text), start=1):
            url = re.sub(r"\s+", "", match.group(1))
            report.figures.append(Figure(f"Figure {number} of report.html", url))
    if not report.figures and not report.metrics and not report.message and not report.full_report:
        report.message = (f"{directory} holds no metrics.json and no figures; run "
                          f"'python -m classifier evaluate ... --out {directory}' to make them.")
    return report


def valid_data_url(url: str) -> bool:
    """A data: URL taken from report.html is shown only when it decodes as base64."""
    match = _DATA_URL.fullmatch(url)
    if not match:
        return False
    try:
        base64.b64decode(match.group(2), validate=True)
    except ValueError:
        return False
    return True
