"""Query strategies: which predictions are most worth a human look, most informative first.

Each strategy scores prediction dicts (the shape in docs/ARCHITECTURE.md); a higher score means
"review this sooner". They read only the probabilities in the dicts, so they work the same on a
predictions JSONL file, inside the terminal session and in the simulation.

- ``uncertainty``: entropy of every task's predicted distribution (role over its three values,
  each phase and boundary-spanner as yes/no), a weighted mean over the three tasks
  (``DEFAULT_WEIGHTS``). Each class's entropy term is weighted by its prior to the power
  ``-balance`` (0 = plain entropy), so a document that gives a rare class (co-creation,
  commissioning) a modest probability counts as uncertain instead of being drowned by the common
  class. Priors are the mean predicted probabilities over the pool.
- ``margin``: one minus the gap between the two most probable values, averaged over the tasks.
- ``random``: a seeded shuffle (the baseline every other strategy must beat).
- ``disagreement``: the share of tasks on which the rules-only baseline and the model disagree,
  ties broken by uncertainty.
"""
from __future__ import annotations

import numpy as np

from ..schema import tasks

STRATEGIES = ("uncertainty", "margin", "random", "disagreement")
EPS = 1e-9
# How much each task's uncertainty counts. Role is the charting decision the model is best at; phases
# rest on a handful of stated examples and rule priors, so their entropy is mostly noise (measured:
# docs/review.md), hence half weight.
DEFAULT_WEIGHTS = {"role": 2.0, "phases": 0.5, "boundary_spanner": 1.0}
DEFAULT_BALANCE = 0.25


def role_probs(predictions: list[dict]) -> np.ndarray:
    values = tasks()["role"].values
    return np.array([[_num(p.get(f"p_role_{v}")) for v in values] for p in predictions], dtype=float).reshape(
        len(predictions), len(values))


def phase_probs(predictions: list[dict]) -> np.ndarray:
    values = tasks()["phases"].values
    return np.array([[_num(p.get(f"p_phase_{v}")) for v in values] for p in predictions], dtype=float).reshape(
        len(predictions), len(values))


def bs_probs(predictions: list[dict]) -> np.ndarray:
    return np.array([_num(p.get("p_boundary_spanner")) for p in predictions], dtype=float)


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


def _weighted_entropy(p: np.ndarray, prior: np.ndarray, balance: float) -> np.ndarray:
    """Entropy with each class's term weighted by ``prior ** -balance`` (weights average 1 under the
    prior), divided by log(k): probability mass on a rare class counts for more, so a document the
    model half-suspects of being co-creation is not drowned by the many peer-support ones."""
    p = _normalise(p)
    prior = np.clip(np.asarray(prior, dtype=float).reshape(1, -1), 0.02, None)
    w = prior ** -balance
    w = w / (prior * w).sum() * prior.sum()
    return -(w * p * np.log(p)).sum(axis=1) / np.log(p.shape[1])


def _binary(p: np.ndarray) -> np.ndarray:
    return np.stack([1.0 - p, p], axis=1)


def priors(predictions: list[dict]) -> dict[str, np.ndarray]:
    """Class priors estimated as the mean predicted probability over the pool."""
    role = role_probs(predictions)
    return {
        "role": _normalise(role.mean(axis=0, keepdims=True))[0] if len(predictions) else np.full(3, 1 / 3),
        "phases": phase_probs(predictions).mean(axis=0) if len(predictions) else np.full(4, 0.5),
        "boundary_spanner": np.array([bs_probs(predictions).mean()]) if len(predictions) else np.array([0.5]),
    }


def task_uncertainty(predictions: list[dict], balance: float = DEFAULT_BALANCE, prior: dict | None = None) -> dict[str, np.ndarray]:
    """Per-task uncertainty in [0, 1] for every prediction."""
    prior = prior or priors(predictions)
    out = {"role": _weighted_entropy(role_probs(predictions), prior["role"], balance)}
    ph = phase_probs(predictions)
    per_phase = [_weighted_entropy(_binary(ph[:, j]), [1 - prior["phases"][j], prior["phases"][j]], balance)
                 for j in range(ph.shape[1])]
    out["phases"] = np.mean(per_phase, axis=0) if per_phase else np.zeros(len(predictions))
    pb = float(prior["boundary_spanner"][0])
    out["boundary_spanner"] = _weighted_entropy(_binary(bs_probs(predictions)), [1 - pb, pb], balance)
    return out


def uncertainty(predictions: list[dict], balance: float = DEFAULT_BALANCE, weights: dict | None = None,
                prior: dict | None = None) -> np.ndarray:
    per = task_uncertainty(predictions, balance, prior)
    weights = weights or DEFAULT_WEIGHTS
    total = sum(weights.values())
    return sum(weights[t] * per[t] for t in per) / total


def margin(predictions: list[dict], weights: dict | None = None) -> np.ndarray:
    role = np.sort(_normalise(role_probs(predictions)), axis=1)
    per = {"role": 1.0 - (role[:, -1] - role[:, -2])}
    ph = phase_probs(predictions)
    per["phases"] = (1.0 - np.abs(2 * ph - 1)).mean(axis=1)
    per["boundary_spanner"] = 1.0 - np.abs(2 * bs_probs(predictions) - 1)
    weights = weights or {t: 1.0 for t in per}  # equal weights measured best for margin (docs/review.md)
    return sum(weights[t] * per[t] for t in per) / sum(weights.values())


def random_scores(predictions: list[dict], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(len(predictions))


def disagreement(predictions: list[dict], rules: list[dict], balance: float = DEFAULT_BALANCE) -> np.ndarray:
    if len(rules) != len(predictions):
        raise ValueError("disagreement needs one rules prediction per model prediction")
    count = np.zeros(len(predictions))
    for i, (p, r) in enumerate(zip(predictions, rules)):
        for task in ("role", "phases", "boundary_spanner"):
            a, b = _canon(task, p.get(task)), _canon(task, r.get(task))
            count[i] += a != b
    # ties (most documents disagree on 0 or 1 task) are broken by uncertainty
    return count / 3.0 + 0.1 * uncertainty(predictions, balance)


def _canon(task: str, value) -> str:
    try:
        return tasks()[task].parse(value) or ""
    except ValueError:
        return str(value)


def score(strategy: str, predictions: list[dict], *, seed: int = 0, rules: list[dict] | None = None,
          balance: float = DEFAULT_BALANCE) -> np.ndarray:
    """Informativeness of each prediction under ``strategy`` (higher = review sooner)."""
    if strategy == "uncertainty":
        return uncertainty(predictions, balance)
    if strategy == "margin":
        return margin(predictions)
    if strategy == "random":
        return random_scores(predictions, seed)
    if strategy == "disagreement":
        if rules is None:
            raise ValueError("the disagreement strategy needs the rules-only predictions (pass the texts)")
        return disagreement(predictions, rules, balance)
    raise ValueError(f"unknown strategy {strategy!r} (choose from {', '.join(STRATEGIES)})")


def rank(strategy: str, predictions: list[dict], top: int | None = None, **kwargs) -> list[tuple[int, float]]:
    """``(index, score)`` pairs, most informative first (stable: equal scores keep input order)."""
    scores = score(strategy, predictions, **kwargs)
    order = np.argsort(-scores, kind="stable")
    if top is not None:
        order = order[:top]
    return [(int(i), float(scores[i])) for i in order]
