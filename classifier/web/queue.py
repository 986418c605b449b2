"""The queue page's order, progress and filters.

Ordering uses the review package's strategies (``classifier.review.strategies``), the same ones
``review export`` uses, so the page and the exported queue agree. With a task filter, the
``uncertainty`` order uses that task's uncertainty alone. Documents already reviewed go after those
still to review, each group in strategy order.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..io.predictions import reviewable
from ..review import strategies as _strategies
from ..review.store import reviewed_ids
from ..schema import task_names, tasks

DEFAULT_STRATEGY = _strategies.DEFAULT_STRATEGY  # one default for review and serve
# ``disagreement`` also needs the rules-only predictions (see rules.py): only with --texts.
PAGE_STRATEGIES = tuple(_strategies.STRATEGIES)


def available_strategies(with_rules: bool = True) -> tuple[str, ...]:
    return PAGE_STRATEGIES if with_rules else tuple(s for s in PAGE_STRATEGIES if s != "disagreement")


def order(preds: list[dict], strategy: str = DEFAULT_STRATEGY, task: str | None = None,
          rules: list[dict] | None = None) -> list[dict]:
    """``preds`` most informative first, by ``strategy`` (one task's uncertainty when ``task`` is given;
    ``rules``: the rules-only predictions aligned with ``preds``, for ``disagreement``)."""
    if not preds:
        return []
    if strategy not in PAGE_STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r} (choose from {', '.join(PAGE_STRATEGIES)})")
    if task and strategy == "uncertainty":
        scores = _strategies.task_uncertainty(preds)[task]
        positions = sorted(range(len(preds)), key=lambda i: (-float(scores[i]), i))
    else:
        positions = [i for i, _ in _strategies.rank(strategy, preds, rules=rules)] if strategy == "disagreement" \
            else [i for i, _ in _strategies.rank(strategy, preds)]
    # documents that could not be labelled have no probabilities: after the others
    ok = [preds[i] for i in positions if preds[i].get("status") != "error"]
    return ok + [preds[i] for i in positions if preds[i].get("status") == "error"]


@dataclass
class QueueRow:
    rank: int
    pred: dict
    reviewed: bool
    labels: dict  # task -> value in the labels file, or None


def matches(pred: dict, task: str | None, label: str | None) -> bool:
    """Filter by predicted label: ``label`` is a value of ``task`` (or "task:value" for any task)."""
    if not label:
        return True
    if ":" in label:
        task, label = label.split(":", 1)
    names = [task] if task else list(task_names())
    for name in names:
        value = pred.get(name)
        if value is None:
            continue
        if tasks()[name].kind == "multi":
            if label in value.split(";"):
                return True
        elif value == label:
            return True
    return False


def build_queue(preds: list[dict], labels: dict, log_rows: list[dict], *, strategy: str = DEFAULT_STRATEGY,
                task: str | None = None, label: str | None = None, show: str = "all",
                rules: list[dict] | None = None, ordered: list[dict] | None = None) -> tuple[list[QueueRow], dict]:
    """Rows for the queue page (after filters) and progress figures over the whole queue.

    ``ordered``: ``preds`` already in strategy order (the page caches it), else computed here."""
    done = reviewed_ids(labels, log_rows)
    if ordered is None:
        ordered = order(preds, strategy, task, rules)
    todo = [p for p in ordered if p["id"] not in done]
    finished = [p for p in ordered if p["id"] in done]
    rows = []
    for rank, pred in enumerate(todo + finished, start=1):
        is_done = pred["id"] in done
        if show == "todo" and is_done or show == "reviewed" and not is_done:
            continue
        if not matches(pred, task, label):
            continue
        rows.append(QueueRow(rank, pred, is_done, labels.get(pred["id"], {})))
    # the count to review is the terminal's (review.session): predictions with something to review in;
    # documents that could not be labelled are listed last, and counted apart
    queued = [p for p in ordered if reviewable(p)]
    left = [p for p in queued if p["id"] not in done]
    progress = {"reviewed": len(queued) - len(left), "queued": len(queued), "todo": len(left),
                "failed": len(ordered) - len(queued),
                "percent": round(100 * (len(queued) - len(left)) / len(queued)) if queued else 0}
    return rows, progress
