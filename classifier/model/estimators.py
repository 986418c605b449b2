"""Per-task scikit-learn estimators: ``Pipeline(ColumnTransformer(TF-IDF, rules) -> LogisticRegression)``,
calibrated with ``CalibratedClassifierCV`` where the rarest class allows it.

Choices against imbalance (each can be switched off to measure what it buys; see ``evaluate``):
``class_weight="balanced"``; the rule features (codebook lexicons); and for a binary target with fewer
than ``min_positives`` positives, a rules-only logistic model (a rule-backed prior: it cannot memorise a
handful of abstracts' words). A target with fewer than 2 examples of a class is a constant prior.
"""
from __future__ import annotations

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from ..features.tfidf import CompactTfidfVectorizer as TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline


def make_pipeline(rule_cols: list[str], *, use_tfidf=True, use_rules=True, char_ngrams=False,
                  ngram_max=2, min_df=2, C=1.0, rule_weight=1.0, class_weight="balanced",
                  random_state=0) -> Pipeline:
    parts, weights = [], {}
    if use_tfidf:
        parts.append(("words", TfidfVectorizer(ngram_range=(1, ngram_max), min_df=min_df, sublinear_tf=True,
                                               stop_words="english", max_features=20000, dtype=np.float64),
                      "front"))
        if char_ngrams:
            parts.append(("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=min_df,
                                                   sublinear_tf=True, max_features=30000, dtype=np.float64),
                          "front"))
            weights["chars"] = 0.7
    if use_rules:
        parts.append(("rules", "passthrough", list(rule_cols)))
        weights["rules"] = float(rule_weight)
    if not parts:
        raise ValueError("a pipeline needs TF-IDF or rule features")
    features = ColumnTransformer(parts, transformer_weights=weights or None, sparse_threshold=1.0)
    clf = LogisticRegression(C=C, class_weight=class_weight, max_iter=5000, random_state=random_state)
    return Pipeline([("features", features), ("clf", clf)])


def fit_calibrated(pipeline: Pipeline, X, y, *, calibration="sigmoid", max_folds=3, random_state=0, ensemble=False,
                   sample_weight=None):
    """Fit ``pipeline`` on (X, y), calibrated by cross-validation when every class has >= 2 examples.

    ``ensemble=False`` (default): one pipeline fitted on all the data, with a sigmoid fitted on its
    cross-validated scores (one set of weights, which the evidence reads; a smaller, faster model).
    ``sample_weight``: per-example weights for the logistic model and the calibration (None: equal).
    Returns a fitted estimator with ``predict_proba`` and ``classes_``.
    """
    y = np.asarray(y)
    fit_kw = {} if sample_weight is None else {"clf__sample_weight": np.asarray(sample_weight, dtype=float)}
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2 or (counts.min() < 2 and counts.min() / len(y) < 0.05):
        # one value only, or a single counter-example among many (delivery): a constant prior
        return DummyClassifier(strategy="prior").fit(np.zeros((len(y), 1)), y)
    folds = int(min(max_folds, counts.min()))
    if calibration in (None, "none") or folds < 2:
        # too few examples of some class to calibrate (early active-learning rounds): plain weights
        try:
            return strip_fitted(pipeline.fit(X, y, **fit_kw))
        except ValueError:  # e.g. an empty vocabulary on a handful of short texts
            return DummyClassifier(strategy="prior").fit(np.zeros((len(y), 1)), y)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    calibrated = CalibratedClassifierCV(pipeline, method=calibration, cv=cv, ensemble=ensemble)
    if sample_weight is None:
        return strip_fitted(calibrated.fit(X, y))
    import warnings

    with warnings.catch_warnings():  # the weights reach the pipeline's classifier through fit_kw, not sample_weight
        warnings.filterwarnings("ignore", message="Since Pipeline does not appear to accept sample_weight")
        return strip_fitted(calibrated.fit(X, y, sample_weight=fit_kw["clf__sample_weight"], **fit_kw))


def strip_fitted(estimator):
    """Drop ``TfidfVectorizer.stop_words_`` (every pruned term: megabytes, only for introspection)."""
    from sklearn.feature_extraction.text import TfidfVectorizer as _T

    for pipe in members(estimator):
        for _, trans, _ in getattr(pipe.named_steps["features"], "transformers_", []):
            if isinstance(trans, _T) and hasattr(trans, "stop_words_"):
                del trans.stop_words_
    return estimator


def members(estimator) -> list[Pipeline]:
    """The fitted linear pipelines behind ``estimator`` (the calibration ensemble, or itself)."""
    if isinstance(estimator, CalibratedClassifierCV):
        return [c.estimator for c in estimator.calibrated_classifiers_]
    if isinstance(estimator, Pipeline):
        return [estimator]
    return []


def predict_proba(estimator, X) -> np.ndarray:
    if isinstance(estimator, DummyClassifier):
        return estimator.predict_proba(np.zeros((len(X), 1)))
    return estimator.predict_proba(X)


def oof_threshold(pipeline: Pipeline, X, y, *, criterion="f1_true", positive="true", calibration="sigmoid",
                  n_splits=5, random_state=0) -> float | None:
    """The decision threshold on P(``positive``) chosen on out-of-fold probabilities of the training data.

    Each fold refits the calibrated ``pipeline`` on the rest; the threshold maximises ``criterion``
    (``"f1_true"``: F1 of the positive class; ``"macro_f1"``: macro-F1 of both classes) over the
    out-of-fold probabilities, and is the midpoint between two neighbouring probabilities. None when a
    class has too few examples to split.
    """
    from sklearn.base import clone
    from sklearn.metrics import f1_score

    y = np.asarray(y).astype(str)
    _, counts = np.unique(y, return_counts=True)
    k = int(min(n_splits, counts.min())) if len(counts) == 2 else 0
    if k < 2:
        return None
    oof = np.zeros(len(y))
    cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=random_state)
    for train, test in cv.split(np.zeros(len(y)), y):
        est = fit_calibrated(clone(pipeline), X.iloc[train], y[train], calibration=calibration,
                             random_state=random_state)
        classes = [str(c) for c in est.classes_]
        oof[test] = predict_proba(est, X.iloc[test])[:, classes.index(positive)] if positive in classes else 0.0
    truth = y == positive
    grid = np.unique(oof)
    candidates = (grid[:-1] + grid[1:]) / 2 if len(grid) > 1 else grid
    average = "binary" if criterion == "f1_true" else "macro"

    def score(t):
        return f1_score(truth, oof >= t, average=average, zero_division=0)

    scores = [score(t) for t in candidates]
    best = max(scores)
    # among equally good thresholds the middle one (less fitted to one fold's scores)
    ties = [t for t, s in zip(candidates, scores) if s >= best - 1e-9]
    return float(ties[len(ties) // 2])
