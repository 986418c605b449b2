"""What a fitted model really uses, in words, read from its fitted estimators (never typed in).

``describe_model(model)`` -> ``{task: sentence}`` for the evaluation report's Methods paragraph and the
model card: per task (``schema.Task.targets``), the classifier, its features, class weights and
calibration, as found in ``model.estimators_`` (one fitted scikit-learn estimator per target).
"""
from __future__ import annotations

from ..schema import tasks

COLUMN_WORDS = {"front": "the title and abstract", "text": "the text"}


def _join(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _features(column_transformer) -> list[str]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    out = []
    for name, transformer, columns in getattr(column_transformer, "transformers_", []):
        if transformer == "drop" or name == "remainder":
            continue
        where = COLUMN_WORDS.get(columns, f"'{columns}'") if isinstance(columns, str) else ""
        if isinstance(transformer, TfidfVectorizer):
            low, high = transformer.ngram_range
            grams = "words" if (low, high) == (1, 1) else f"word {low}-{high}-grams"
            if transformer.analyzer != "word":
                grams = f"character {low}-{high}-grams"
            out.append(f"TF-IDF {grams} of {where}".strip())
        elif not isinstance(columns, str) and all(str(c).startswith(("rule", "cue_")) for c in columns):
            n_rule = sum(str(c).startswith("rule") for c in columns)
            n_cue = len(columns) - n_rule
            out.append(f"{n_rule} rule features counting codebook lexicon terms (lemma-matched)" +
                       (f" and {n_cue} codebook-cue score{'s' if n_cue > 1 else ''} (the sentence that shows the "
                        "label most plainly, with the peer worker as its actor)" if n_cue else ""))
        else:
            out.append(f"{type(transformer).__name__} features")
    return out


def describe_estimator(estimator) -> str:
    """One clause for one fitted target estimator."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import Pipeline

    calibration = ""
    if isinstance(estimator, CalibratedClassifierCV):
        calibration = f"{estimator.method} calibration"
        inner = estimator.calibrated_classifiers_[0].estimator if hasattr(estimator, "calibrated_classifiers_") \
            else estimator.estimator
        estimator = inner
    if isinstance(estimator, DummyClassifier):
        return "a constant: the distribution of its labels (too few examples of a value to learn from)"
    if isinstance(estimator, Pipeline):
        steps = dict(estimator.steps)
        clf = steps.get("clf", estimator.steps[-1][1])
        features = _features(steps["features"]) if "features" in steps else []
        name = "logistic regression" if type(clf).__name__ == "LogisticRegression" else type(clf).__name__
        weights = "balanced class weights" if getattr(clf, "class_weight", None) == "balanced" else ""
        over = f" over {_join(features)}" if features else ""
        extras = _join([weights, calibration])
        return f"{name}{over}" + (f", with {extras}" if extras else "")
    return type(estimator).__name__ + (f", with {calibration}" if calibration else "")


def describe_model(model) -> dict[str, str]:
    """``{task: sentence}`` for every schema task the fitted ``model`` has estimators for."""
    estimators = getattr(model, "estimators_", None) or {}
    out = {}
    for task in tasks().values():
        parts = {target: describe_estimator(estimators[target]) for target in task.targets if target in estimators}
        if not parts:
            continue
        if task.kind != "multi":
            out[task.name] = next(iter(parts.values())) + "."
            continue
        # one yes/no model per value: values that share a description are named together
        by_text: dict[str, list[str]] = {}
        for target, text in parts.items():
            by_text.setdefault(text, []).append(task.values[task.targets.index(target)])
        if len(by_text) == 1:
            out[task.name] = f"one yes/no model per value, each {next(iter(by_text))}."
        else:
            out[task.name] = "one yes/no model per value: " + "; ".join(
                f"{_join(values)}: {text}" for text, values in by_text.items()) + "."
    return out
