"""Agreement between raters: percent agreement, Cohen's kappa (two raters), Fleiss' kappa (more than
two) and Gwet's AC1, each with a 95% interval, per task and per label.

Ratings are a table ``items x raters`` of category labels (``None`` = the rater did not chart that
item). Only items charted by every rater in the comparison are used, so each statistic is computed on
the same studies and its ``n`` says how many.

* **Percent agreement**: for two raters the share of studies with the same label; for more, the share
  of agreeing rater pairs per study, averaged over studies.
* **Cohen's kappa** (two raters): ``(p_o - p_e) / (1 - p_e)`` with ``p_e`` from each rater's own
  label distribution; identical to scikit-learn's ``cohen_kappa_score``.
* **Fleiss' kappa** (more than two raters): chance agreement from the pooled label distribution.
* **Gwet's AC1**: chance agreement ``sum_k pi_k (1 - pi_k) / (q - 1)`` with ``pi_k`` the pooled share of
  label ``k`` and ``q`` the number of labels the task allows; unlike kappa it stays stable when one
  label dominates (kappa then collapses towards 0 although the raters almost always agree).

**Intervals**: a percentile bootstrap over studies (2,000 resamples, fixed seed, so the same data
always gives the same interval): resampling studies keeps each study's ratings together, the unit
a review samples. A statistic that is undefined in a resample (every rating the same label: kappa's
``1 - p_e`` is 0) is left out of that resample's distribution; when it is undefined on the data itself
it is reported as ``None``.

Multi-label tasks (``phases``) are compared twice: the whole set as one label (the set a rater gave
is the label; ``q`` = the number of possible non-empty sets), and each value on its own as a yes/no
label ("did the rater tick *design*?").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

N_BOOTSTRAP = 2000
SEED = 20240607
INTERVAL_METHOD = (f"percentile bootstrap over studies ({N_BOOTSTRAP:,} resamples)")
STATISTICS = ("percent_agreement", "kappa", "ac1")
NO_VALUE = "none"   # a multi-label cell with no value ticked


@dataclass
class Estimate:
    value: float | None
    low: float | None
    high: float | None

    def to_dict(self) -> dict:
        return {"value": self.value, "ci_low": self.low, "ci_high": self.high}


@dataclass
class Agreement:
    """Agreement of ``raters`` on ``n`` studies; ``kappa_kind`` is "cohen" (2 raters) or "fleiss"."""
    raters: list[str]
    n: int
    q: int
    percent_agreement: Estimate
    kappa: Estimate
    ac1: Estimate
    kappa_kind: str
    categories: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"raters": self.raters, "n": self.n, "categories_allowed": self.q,
                "kappa_kind": self.kappa_kind, "interval": INTERVAL_METHOD,
                "percent_agreement": self.percent_agreement.to_dict(), "kappa": self.kappa.to_dict(),
                "ac1": self.ac1.to_dict()}


def _codes(ratings: Sequence[Sequence], categories: Sequence[str] | None):
    """Complete rows only, as integer codes ``items x raters``; the category list used."""
    rows = [list(r) for r in ratings if all(v is not None and v != "" for v in r)]
    seen = sorted({v for r in rows for v in r})
    cats = list(categories) if categories is not None else seen
    extra = [v for v in seen if v not in cats]
    if extra:
        raise ValueError(f"labels {extra} are not among the categories {cats}")
    lookup = {c: i for i, c in enumerate(cats)}
    width = len(rows[0]) if rows else 0
    codes = np.array([[lookup[v] for v in r] for r in rows], dtype=int).reshape(len(rows), width)
    return codes, cats


def _stats(codes: np.ndarray, q: int, n_cats: int, idx: np.ndarray) -> dict[str, np.ndarray]:
    """The three statistics for each resample; ``idx`` is ``resamples x items`` row indices."""
    n_raters = codes.shape[1]
    onehot = np.eye(n_cats)[codes]                      # items x raters x cats
    counts = onehot.sum(axis=1)                          # items x cats
    c = counts[idx]                                      # B x N x cats
    pairs = (c * (c - 1)).sum(axis=2) / (n_raters * (n_raters - 1))
    pa = pairs.mean(axis=1)                              # B
    pooled = c.sum(axis=1) / (c.shape[1] * n_raters)     # B x cats
    with np.errstate(divide="ignore", invalid="ignore"):
        if n_raters == 2:
            pr = onehot[idx].mean(axis=1)                # B x raters x cats
            pe_k = (pr[:, 0, :] * pr[:, 1, :]).sum(axis=1)
        else:
            pe_k = (pooled ** 2).sum(axis=1)
        kappa = np.where(np.isclose(pe_k, 1.0), np.nan, (pa - pe_k) / (1 - pe_k))
        pe_g = (pooled * (1 - pooled)).sum(axis=1) / (q - 1) if q > 1 else np.full_like(pa, np.nan)
        ac1 = np.where(np.isclose(pe_g, 1.0), np.nan, (pa - pe_g) / (1 - pe_g))
    return {"percent_agreement": pa, "kappa": kappa, "ac1": ac1}


def _clean(x) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 4)


def agreement(ratings: Sequence[Sequence], raters: Sequence[str], categories: Sequence[str] | None = None,
              q: int | None = None, n_bootstrap: int = N_BOOTSTRAP, seed: int = SEED) -> Agreement:
    """Agreement of two or more raters. ``ratings[i][j]`` is rater ``j``'s label for item ``i`` (None: not
    charted). ``categories``: the labels the task allows (default: those seen); ``q`` defaults to their
    number (Gwet's AC1 needs the number of labels a rater could choose from)."""
    raters = list(raters)
    if len(raters) < 2:
        raise ValueError("agreement needs at least two raters")
    codes, cats = _codes(ratings, categories)
    if codes.size and codes.shape[1] != len(raters):
        raise ValueError(f"{codes.shape[1]} ratings per study for {len(raters)} raters")
    q = q or len(cats)
    kind = "cohen" if len(raters) == 2 else "fleiss"
    n = len(codes)
    if n == 0:
        none = Estimate(None, None, None)
        return Agreement(raters, 0, q, none, none, none, kind, cats)
    point = _stats(codes, q, max(len(cats), 1), np.arange(n)[None, :])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_bootstrap, n))
    boot = _stats(codes, q, max(len(cats), 1), idx)
    out = {}
    for name in STATISTICS:
        value = point[name][0]
        sample = boot[name][np.isfinite(boot[name])]
        if not np.isfinite(value) or sample.size == 0:
            out[name] = Estimate(_clean(value), None, None)
        else:
            low, high = np.percentile(sample, [2.5, 97.5])
            out[name] = Estimate(_clean(value), _clean(low), _clean(high))
    return Agreement(raters, n, q, out["percent_agreement"], out["kappa"], out["ac1"], kind, cats)


def task_agreement(task, labels: dict[str, dict[str, str | None]], raters: Sequence[str],
                   n_bootstrap: int = N_BOOTSTRAP) -> dict:
    """Per task and per label. ``labels[rater][study_id]`` is that rater's canonical cell for ``task``
    (a ``classifier.schema.Task``). Returns ``{"task": Agreement-dict, "per_label": {value: dict}}``."""
    raters = list(raters)
    studies = sorted(set.intersection(*[{s for s, v in labels.get(r, {}).items() if v is not None}
                                        for r in raters]) if raters else set())
    rows = [[labels[r][s] for r in raters] for s in studies]
    if task.kind == "multi":
        whole = agreement(rows, raters, q=2 ** len(task.values), n_bootstrap=n_bootstrap)
    else:
        whole = agreement(rows, raters, categories=list(task.values), n_bootstrap=n_bootstrap)
    per_label = {}
    values = task.values if task.kind != "binary" else ()   # a yes/no task is its own per-label figure
    for value in values:
        yes_no = [["yes" if value in str(cell).split(";") else "no" for cell in row] for row in rows]
        per_label[value] = agreement(yes_no, raters, categories=["yes", "no"], n_bootstrap=n_bootstrap).to_dict()
    return {"studies": studies, "task": whole.to_dict(), "per_label": per_label}


def measure(annotations, reviewers: Sequence[str] | None = None, predictions: list[dict] | None = None,
            n_bootstrap: int = N_BOOTSTRAP, studies: Sequence[str] | None = None) -> dict:
    """Reviewer against reviewer (from the log beside ``annotations``), and, with ``predictions``, the model
    against the agreed labels: the labels file's value for the studies two or more of the reviewers
    charted (after the consensus step), or every labelled study when none was charted twice.

    ``studies``: only these studies (a blind round's sample). Returns a JSON-ready dict: ``{"reviewers": [...], "reviewer_counts": {...}, "tasks": {task:
    {"studies": n, "task": ..., "per_label": ...}}, "model": {"reference": ..., "tasks": {...}}}``.
    """
    from ..review.reviewers import charted_by, reviewer_labels
    from ..review.store import LabelStore
    from ..schema import tasks

    store = LabelStore(annotations)
    per_reviewer = reviewer_labels(store.log())
    if studies is not None:
        keep = set(studies)
        per_reviewer = {r: {t: {s: v for s, v in cells.items() if s in keep} for t, cells in per_task.items()}
                        for r, per_task in per_reviewer.items()}
    chosen = list(reviewers) if reviewers else sorted(per_reviewer)
    unknown = [r for r in chosen if r not in per_reviewer]
    out: dict = {"reviewers": chosen, "unknown_reviewers": unknown, "interval": INTERVAL_METHOD,
                 "reviewer_counts": {}, "tasks": {}}
    studies_by = charted_by({r: per_reviewer.get(r, {}) for r in chosen})
    counts = {}
    for reviewers_of in studies_by.values():
        counts[len(reviewers_of)] = counts.get(len(reviewers_of), 0) + 1
    out["reviewer_counts"] = {"studies_charted": len(studies_by), "by_one_reviewer": counts.get(1, 0),
                              "by_two_or_more": sum(v for k, v in counts.items() if k >= 2)}
    if len(chosen) >= 2 and not unknown:
        for name, task in tasks().items():
            cells = {r: per_reviewer[r].get(name, {}) for r in chosen}
            result = task_agreement(task, cells, chosen, n_bootstrap=n_bootstrap)
            if result["studies"]:
                out["tasks"][name] = result
    if predictions is not None:
        labels = store.labels()
        double = {s for s, who in studies_by.items() if len(who) >= 2}
        reference = "consensus" if double else "labels file"
        out["model"] = {"reference": reference, "tasks": {}}
        by_id = {p["id"]: p for p in predictions if p.get("status", "ok") == "ok"}
        for name, task in tasks().items():
            human, model = {}, {}
            for study, cells in labels.items():
                if studies is not None and study not in keep:
                    continue
                if (double and study not in double) or study not in by_id or cells.get(name) is None:
                    continue
                try:
                    predicted = task.parse(by_id[study].get(name))
                except ValueError:
                    continue
                if predicted is None and task.kind == "multi":
                    predicted = NO_VALUE  # the model ticked none of the values: an answer, not a gap
                human[study], model[study] = cells[name], predicted
            result = task_agreement(task, {"model": model, reference: human}, ["model", reference],
                                    n_bootstrap=n_bootstrap)
            if result["studies"]:
                out["model"]["tasks"][name] = result
    return out
