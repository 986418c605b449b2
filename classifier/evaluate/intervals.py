"""95% intervals for the cross-validated figures: a percentile bootstrap over studies.

Each resample draws the labelled studies with replacement and recomputes the figure from the
out-of-fold predictions of every repeat (averaged over repeats, as the headline figure is), so the
interval reflects how much the figure depends on which studies happened to be charted.
"""
from __future__ import annotations

import numpy as np

N_RESAMPLES = 500
SEED = 20240607
METHOD = f"percentile bootstrap over studies ({N_RESAMPLES} resamples of the out-of-fold predictions)"
FIGURES = ("macro_f1", "accuracy", "kappa")


def bootstrap_intervals(task: str, truth, oof_frames: list, n_resamples: int = N_RESAMPLES,
                        seed: int = SEED) -> dict[str, list[float]]:
    """``{figure: [low, high]}`` for ``FIGURES`` of ``task``; ``truth`` is the task's label per study
    (None = unknown), ``oof_frames`` one out-of-fold prediction frame per repeat (``cv.task_metrics``)."""
    from .cv import task_metrics

    known = truth[truth.notna()]
    ids = np.asarray(known.index)
    if len(ids) < 2 or not oof_frames:
        return {}
    rng = np.random.default_rng(seed)
    draws = {name: [] for name in FIGURES}
    for _ in range(n_resamples):
        sample = ids[rng.integers(0, len(ids), len(ids))]
        sampled_truth = known.loc[sample]
        per_repeat = [task_metrics(task, sampled_truth.reset_index(drop=True),
                                   frame.loc[sample].reset_index(drop=True)) for frame in oof_frames]
        for name in FIGURES:
            draws[name].append(float(np.mean([m[name] for m in per_repeat])))
    return {name: [round(float(np.percentile(v, 2.5)), 4), round(float(np.percentile(v, 97.5)), 4)]
            for name, v in draws.items()}
