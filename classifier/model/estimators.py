"""Per-target scikit-learn estimators: ``Pipeline(ColumnTransformer(TF-IDF, rules) -> LogisticRegression)``.

``ChartingModel`` builds one per target (TF-IDF words and lexicon features for a single-choice task,
lexicon features only for a yes/no target) and chooses its ``C`` inside ``fit``.
"""
from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from ..features.tfidf import CompactTfidfVectorizer as TfidfVectorizer
from sklearn.linear_model import LogisticRegression
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


def members(estimator) -> list[Pipeline]:
    """The fitted linear pipelines behind ``estimator`` (those inside a calibration, or itself)."""
    if hasattr(estimator, "calibrated_classifiers_"):
        return [c.estimator for c in estimator.calibrated_classifiers_]
    if isinstance(estimator, Pipeline):
        return [estimator]
    return []


def predict_proba(estimator, X) -> np.ndarray:
    if isinstance(estimator, DummyClassifier):
        return estimator.predict_proba(np.zeros((len(X), 1)))
    return estimator.predict_proba(X)
