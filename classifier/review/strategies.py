"""Query strategies: which predictions are most worth a human look, most informative first.

Each strategy scores prediction dicts (the shape in docs/ARCHITECTURE.md); a higher score means
"review this sooner". They read only the probabilities in the dicts, so they work the same on a
predictions JSONL file, inside the terminal session and in the simulation.

- ``uncertainty``: for each task, half the entropy of the predicted distribution (a one-of task such as
  role over its values; each value of an any-of task such as phases, and a yes/no task, as yes/no) and
  half the model's calibrated probability that the label it shows is wrong; the mean over the tasks. The entropy is taken after dividing
  the probabilities by the class priors to the power ``balance``, so probability on a rare class (co-creation, commissioning) is not drowned by
  the common class. Priors are the mean predicted probabilities over the pool.
- ``margin``: one minus the gap between the two most likely values in the same rebalanced space,
  averaged over the tasks.
- ``random``: a seeded shuffle (the baseline every other strategy must beat).
- ``disagreement``: the share of tasks on which the rules-only baseline and the model disagree,
  ties broken by uncertainty.
"""
from __future__ import annotations

import numpy as np

from ..schema import tasks

STRATEGIES = ("uncertainty", "margin", "random", "disagreement")
# The queue order when none is asked for. On held-out studies of the current model (five 70/30 splits)
# the least certain fifth held 1.96x the overall rate of role errors and 8 of 25 co-creation studies
# with uncertainty, 1.74x and 6 with margin; docs/review.md has the figures of scripts/review_figures.py.
DEFAULT_STRATEGY = "uncertainty"
EPS = 1e-9
# Rare-class weighting belongs in the order of the queue, never in the labels. The shipped models learn
# with balanced class weights, so their probabilities already give a rare value its due and the queue
# reads them as they are; ``balance`` > 0 divides them by class priors ** balance before the entropy and
# the margin (for a model whose probabilities follow the training shares of each value). Measured on the
# same splits: balance 0.5 put 7 (uncertainty) and 3 (margin) co-creation studies in the first fifth
# instead of 8 and 6, and fewer errors.
DEFAULT_BALANCE = 0.0
# Every task counts the same when they are combined;
# ``weights={task: w}`` changes that.


DOUBTFUL_NOTE = ("no evidence sentence shows the predicted labels (only the closest candidates): "
                 "doubtful, read the abstract")


def doubtful_evidence(pred: dict) -> bool:
    """All-neutral evidence: a labelled prediction none of whose evidence sentences supports the role,
    the phases or (when predicted) boundary-spanner language; only candidates, counter-evidence or nothing."""
    if pred.get("status", "ok") != "ok" or not pred.get("role"):
        return False
    evidence = pred.get("evidence") or {}
    tasks_shown = ["role", "phases"] + (["boundary_spanner"] if str(pred.get("boundary_spanner")) == "true" else [])
    return not any(isinstance(item, dict) and item.get("kind", "support") == "support"
                   for t in tasks_shown for item in (evidence.get(t) or []))


def probs(task_name: str, predictions: list[dict]) -> np.ndarray:
    """One row per prediction, one column per probability column of the task (schema order)."""
    columns = tasks()[task_name].prob_columns
    return np.array([[_num(p.get(c)) for c in columns] for p in predictions], dtype=float).reshape(
        len(predictions), len(columns))


def _num(value) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return 0.0
    return min(max(x, 0.0), 1.0) if np.isfinite(x) else 0.0


def _normalise(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, None)
    return p / p.sum(axis=1, keepdims=True)


def _entropy(p: np.ndarray) -> np.ndarray:
    """Entropy of each row, divided by log(k) so it lies in [0, 1]."""
    p = _normalise(p)
    return -(p * np.log(p)).sum(axis=1) / np.log(p.shape[1])


def decision_space(p: np.ndarray, prior, balance: float) -> np.ndarray:
    """Probabilities divided by their class priors to the power ``balance``, renormalised: a rare
    class such as co-creation weighs in once it is clearly more likely than usual, so probability on a
    rare class is not drowned by the common one in the queue's order."""
    prior = np.clip(np.asarray(prior, dtype=float).reshape(1, -1), 0.02, None)
    return _normalise(_normalise(p) / prior ** balance)


def _top_two_gap(q: np.ndarray) -> np.ndarray:
    s = np.sort(q, axis=1)
    return s[:, -1] - s[:, -2]


def _binary(p: np.ndarray) -> np.ndarray:
    return np.stack([1.0 - p, p], axis=1)


def priors(predictions: list[dict]) -> dict[str, np.ndarray]:
    """Class priors estimated as the mean predicted probability over the pool (one-of tasks: over the
    values; any-of and yes/no tasks: the rate of each yes)."""
    out = {}
    for task in tasks().values():
        P = probs(task.name, predictions)
        if task.kind == "single":
            out[task.name] = (_normalise(P.mean(axis=0, keepdims=True))[0] if len(predictions)
                              else np.full(P.shape[1], 1 / P.shape[1]))
        else:
            out[task.name] = P.mean(axis=0) if len(predictions) else np.full(P.shape[1], 0.5)
    return out


def task_distributions(predictions: list[dict], balance: float = DEFAULT_BALANCE,
                       prior: dict | None = None) -> dict[str, list[np.ndarray]]:
    """Per task, the decision-space distributions (a one-of task: one array with a column per value;
    an any-of task: one yes/no array per value; a yes/no task: one yes/no array)."""
    prior = prior or priors(predictions)
    out = {}
    for task in tasks().values():
        P = probs(task.name, predictions)
        if task.kind == "single":
            out[task.name] = [decision_space(P, prior[task.name], balance)]
        else:
            out[task.name] = [decision_space(_binary(P[:, j]), [1 - prior[task.name][j], prior[task.name][j]], balance)
                              for j in range(P.shape[1])]
    return out


def shown_label_doubt(predictions: list[dict]) -> dict[str, np.ndarray]:
    """Per task, 1 - the calibrated probability of the label the model shows (its own estimate that the
    label is wrong; an any-of task: mean over its yes/no decisions)."""
    out = {}
    for task in tasks().values():
        P = probs(task.name, predictions)
        doubt = np.zeros(len(predictions))
        for i, p in enumerate(predictions):
            shown = _canon(task.name, p.get(task.name))
            if task.kind == "single":
                row = _normalise(P[i:i + 1])[0]
                j = task.values.index(shown) if shown in task.values else int(np.argmax(row))
                doubt[i] = 1.0 - row[j]
            elif task.kind == "multi":
                chosen = set(shown.split(";")) - {""} or {v for k, v in enumerate(task.values) if P[i, k] >= 0.5}
                doubt[i] = np.mean([1.0 - P[i, k] if v in chosen else P[i, k] for k, v in enumerate(task.values)])
            else:
                said = shown or ("true" if P[i, 0] >= 0.5 else "false")
                doubt[i] = 1.0 - P[i, 0] if said == "true" else P[i, 0]
        out[task.name] = doubt
    return out


def task_uncertainty(predictions: list[dict], balance: float = DEFAULT_BALANCE,
                     prior: dict | None = None) -> dict[str, np.ndarray]:
    """Per task, in [0, 1]: half the entropy in decision space (an any-of task: mean over its yes/no
    decisions), half the doubt about the label shown."""
    dists = task_distributions(predictions, balance, prior)
    doubt = shown_label_doubt(predictions)
    return {t: 0.5 * np.mean([_entropy(q) for q in qs], axis=0) + 0.5 * doubt[t] for t, qs in dists.items()}


def task_entropy(predictions: list[dict], balance: float = DEFAULT_BALANCE,
                 prior: dict | None = None) -> dict[str, np.ndarray]:
    """Per task, the entropy in decision space alone, in [0, 1]."""
    dists = task_distributions(predictions, balance, prior)
    return {t: np.mean([_entropy(q) for q in qs], axis=0) for t, qs in dists.items()}


def _combine(per: dict[str, np.ndarray], weights: dict | None) -> np.ndarray:
    weights = weights or {}
    return sum(weights.get(t, 1.0) * per[t] for t in per) / sum(weights.get(t, 1.0) for t in per)


def uncertainty(predictions: list[dict], balance: float = DEFAULT_BALANCE, weights: dict | None = None,
                prior: dict | None = None) -> np.ndarray:
    return _combine(task_uncertainty(predictions, balance, prior), weights)


def margin(predictions: list[dict], balance: float = DEFAULT_BALANCE, weights: dict | None = None,
           prior: dict | None = None) -> np.ndarray:
    dists = task_distributions(predictions, balance, prior)
    per = {t: np.mean([1.0 - _top_two_gap(q) for q in qs], axis=0) for t, qs in dists.items()}
    return _combine(per, weights)


def random_scores(predictions: list[dict], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(len(predictions))


def disagreement(predictions: list[dict], rules: list[dict], balance: float = DEFAULT_BALANCE,
                 weights: dict | None = None) -> np.ndarray:
    if len(rules) != len(predictions):
        raise ValueError("disagreement needs one rules prediction per model prediction")
    count = np.zeros(len(predictions))
    for i, (p, r) in enumerate(zip(predictions, rules)):
        for task in tasks():
            a, b = _canon(task, p.get(task)), _canon(task, r.get(task))
            count[i] += a != b
    # ties (most documents disagree on 0 or 1 task) are broken by uncertainty
    return count / len(tasks()) + 0.1 * uncertainty(predictions, balance, weights)


def _canon(task: str, value) -> str:
    try:
        return tasks()[task].parse(value) or ""
    except ValueError:
        return str(value)


def score(strategy: str, predictions: list[dict], *, seed: int = 0, rules: list[dict] | None = None,
          balance: float = DEFAULT_BALANCE, weights: dict | None = None) -> np.ndarray:
    """Informativeness of each prediction under ``strategy`` (higher = review sooner)."""
    if strategy == "uncertainty":
        return uncertainty(predictions, balance, weights)
    if strategy == "margin":
        return margin(predictions, balance, weights)
    if strategy == "random":
        return random_scores(predictions, seed)
    if strategy == "disagreement":
        if rules is None:
            raise ValueError("the disagreement strategy needs the rules-only predictions (pass the texts)")
        return disagreement(predictions, rules, balance, weights)
    raise ValueError(f"unknown strategy {strategy!r} (choose from {', '.join(STRATEGIES)})")


def all_confident(prediction: dict) -> bool:
    """Every task's label is marked ``confident`` (may be accepted unread at the error rate it was
    predicted with). Predictions without statuses are never all confident."""
    from ..schema import charting_tasks

    return all(prediction.get(f"{t}_status") == "confident" for t in charting_tasks())


def predicted_excluded(prediction: dict) -> bool:
    """The eligibility check judged the study out of scope (``eligible`` false)."""
    try:
        return tasks()["eligible"].parse(prediction.get("eligible")) == "false"
    except (KeyError, ValueError):
        return False


def rank(strategy: str, predictions: list[dict], top: int | None = None, include_confident: bool = False,
         **kwargs) -> list[tuple[int, float]]:
    """``(index, score)`` pairs, most informative first (stable: equal scores keep input order). Studies
    whose every label is ``confident`` are left out unless ``include_confident``. Studies the eligibility
    check excluded come after every other one, the nearest to eligible first: an off-topic text's labels
    are uncertain for a reason no charting decision fixes, and it must not crowd the top of the queue."""
    scores = score(strategy, predictions, **kwargs)
    order = np.argsort(-scores, kind="stable")
    excluded = [i for i in order if predicted_excluded(predictions[i])]
    if excluded:
        out = set(excluded)
        excluded.sort(key=lambda i: -_num(predictions[i].get("p_eligible")))   # stable: ties keep the score order
        order = np.array([i for i in order if i not in out] + excluded, dtype=int)
    if not include_confident:
        order = np.array([i for i in order if not all_confident(predictions[i])], dtype=int)
    if top is not None:
        order = order[:top]
    return [(int(i), float(scores[i])) for i in order]
