"""Query strategies: which predictions are most worth a human look, most informative first.

Each strategy scores prediction dicts (the shape in docs/ARCHITECTURE.md); a higher score means
"review this sooner". They read only the probabilities in the dicts, so they work the same on a
predictions JSONL file, inside the terminal session and in the simulation.

- ``uncertainty``: for each task, half the entropy of the predicted distribution (role over its three
  values; each phase and boundary-spanner as yes/no) and half the model's calibrated probability that
  the label it shows is wrong; the mean over the three tasks. The entropy is taken after dividing
  the probabilities by the class priors to the power ``balance`` (the model itself chooses labels
  prior-balanced), so probability on a rare class (co-creation, commissioning) is not drowned by
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
# The queue order when none is asked for: measured best on the shared corpus (docs/review.md).
DEFAULT_STRATEGY = "margin"
EPS = 1e-9
# How much each task counts when the three are combined (equal weights measured best; docs/review.md).
DEFAULT_WEIGHTS = {"role": 1.0, "phases": 1.0, "boundary_spanner": 1.0}
# Rare-class weighting: probabilities are divided by class priors ** DEFAULT_BALANCE before the entropy
# and the margin. 0 is the plain probabilities, 1 the space ChartingModel decides in by default
# (decision_balance=1); halfway measured best at putting errors first (benchmarks/bench_simulate.py).
DEFAULT_BALANCE = 0.5


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


def decision_space(p: np.ndarray, prior, balance: float) -> np.ndarray:
    """Probabilities divided by their class priors to the power ``balance``, renormalised: the scores
    the model picks its labels from (ChartingModel's ``decision_balance``), so a rare class such as
    co-creation is chosen once it is clearly more likely than usual. Uncertainty is measured here, where
    the label is decided, so probability on a rare class is not drowned by the common one."""
    prior = np.clip(np.asarray(prior, dtype=float).reshape(1, -1), 0.02, None)
    return _normalise(_normalise(p) / prior ** balance)


def _top_two_gap(q: np.ndarray) -> np.ndarray:
    s = np.sort(q, axis=1)
    return s[:, -1] - s[:, -2]


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


def task_distributions(predictions: list[dict], balance: float = DEFAULT_BALANCE,
                       prior: dict | None = None) -> dict[str, list[np.ndarray]]:
    """Per task, the decision-space distributions (role: one 3-column array; phases: one yes/no array per
    phase; boundary_spanner: one yes/no array)."""
    prior = prior or priors(predictions)
    ph = phase_probs(predictions)
    pb = float(prior["boundary_spanner"][0])
    return {
        "role": [decision_space(role_probs(predictions), prior["role"], balance)],
        "phases": [decision_space(_binary(ph[:, j]), [1 - prior["phases"][j], prior["phases"][j]], balance)
                   for j in range(ph.shape[1])],
        "boundary_spanner": [decision_space(_binary(bs_probs(predictions)), [1 - pb, pb], balance)],
    }


def shown_label_doubt(predictions: list[dict]) -> dict[str, np.ndarray]:
    """Per task, 1 - the calibrated probability of the label the model shows (its own estimate that the
    label is wrong; phases: mean over the four yes/no decisions). The model chooses labels with
    prior-balancing, so a rare class chosen at modest probability scores high here."""
    role = _normalise(role_probs(predictions))
    ph, bs = phase_probs(predictions), bs_probs(predictions)
    role_values, phase_values = tasks()["role"].values, tasks()["phases"].values
    out = {"role": np.zeros(len(predictions)), "phases": np.zeros(len(predictions)),
           "boundary_spanner": np.zeros(len(predictions))}
    for i, p in enumerate(predictions):
        shown = _canon("role", p.get("role"))
        j = role_values.index(shown) if shown in role_values else int(np.argmax(role[i]))
        out["role"][i] = 1.0 - role[i, j]
        chosen = set(_canon("phases", p.get("phases")).split(";")) - {""}
        if not chosen:
            chosen = {v for k, v in enumerate(phase_values) if ph[i, k] >= 0.5}
        out["phases"][i] = np.mean([1.0 - ph[i, k] if v in chosen else ph[i, k] for k, v in enumerate(phase_values)])
        said = _canon("boundary_spanner", p.get("boundary_spanner")) or ("true" if bs[i] >= 0.5 else "false")
        out["boundary_spanner"][i] = 1.0 - bs[i] if said == "true" else bs[i]
    return out


def task_uncertainty(predictions: list[dict], balance: float = DEFAULT_BALANCE,
                     prior: dict | None = None) -> dict[str, np.ndarray]:
    """Per task, in [0, 1]: half the entropy in decision space (phases: mean over the four yes/no
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
    weights = weights or DEFAULT_WEIGHTS
    return sum(weights[t] * per[t] for t in per) / sum(weights[t] for t in per)


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
        for task in ("role", "phases", "boundary_spanner"):
            a, b = _canon(task, p.get(task)), _canon(task, r.get(task))
            count[i] += a != b
    # ties (most documents disagree on 0 or 1 task) are broken by uncertainty
    return count / 3.0 + 0.1 * uncertainty(predictions, balance, weights)


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


def rank(strategy: str, predictions: list[dict], top: int | None = None, **kwargs) -> list[tuple[int, float]]:
    """``(index, score)`` pairs, most informative first (stable: equal scores keep input order)."""
    scores = score(strategy, predictions, **kwargs)
    order = np.argsort(-scores, kind="stable")
    if top is not None:
        order = order[:top]
    return [(int(i), float(scores[i])) for i in order]
