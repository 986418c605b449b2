"""A rule-backed prior for a target with too few positives to learn: P(true | the fixed rule fires).

The fixed rules of :mod:`classifier.model.rules_baseline` say, per document, whether a phase is present.
``RulePrior`` turns that decision into a probability estimated from the training labels, shrunk towards
the rule's own belief (0.5 where it fires, the training base rate where it does not), so that with one or
two positives the model keeps the codebook rule instead of a constant "no". scikit-learn conventions:
parameters in ``__init__``, fitted attributes end in ``_``.
"""
from __future__ import annotations

import numpy as np


class RulePrior:
    """Binary classifier over one 0/1 column of the feature table (``column``)."""

    def __init__(self, column: str, belief: float = 0.5, strength: float = 2.0):
        self.column = column
        self.belief = belief
        self.strength = strength

    def get_params(self, deep=False) -> dict:
        return {"column": self.column, "belief": self.belief, "strength": self.strength}

    def fit(self, X, y):
        y = np.asarray(y).astype(str)
        fires = self._fires(X)
        self.classes_ = np.array(sorted(set(y) | {"false", "true"}), dtype=object)
        pos = y == "true"
        base = float(pos.mean()) if len(y) else 0.0
        m = float(self.strength)
        n1, n0 = int(fires.sum()), int((~fires).sum())
        self.p_fires_ = (float(pos[fires].sum()) + self.belief * m) / (n1 + m)
        self.p_quiet_ = (float(pos[~fires].sum()) + base * m) / (n0 + m)
        self.n_fires_, self.n_quiet_ = n1, n0
        return self

    def _fires(self, X) -> np.ndarray:
        return np.asarray(X[self.column], dtype=float) >= 0.5

    def predict_proba(self, X) -> np.ndarray:
        p = np.where(self._fires(X), self.p_fires_, self.p_quiet_)
        classes = list(self.classes_)
        out = np.zeros((len(p), len(classes)))
        out[:, classes.index("true")] = p
        out[:, classes.index("false")] = 1 - p
        return out

    def predict(self, X) -> np.ndarray:
        return np.where(self._fires(X), "true", "false")
