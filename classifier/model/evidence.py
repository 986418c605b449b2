"""Evidence: the sentences that pushed a prediction most.

A sentence is scored as a tiny document: its TF-IDF and rule-feature vector (``features.table.
sentence_frame``) times the linear model's weights for the predicted value (averaged over the
calibration ensemble). Where the estimator is a constant prior, rule matches of the task's lexicons score
the sentence instead. Sentences are verbatim ``section.text[start:end]`` and never from references.
"""
from __future__ import annotations

import numpy as np

from ..features.table import SentenceInfo, sentence_frame
from .estimators import members


def class_scores(estimator, frame) -> dict | None:
    """{class value: per-row contribution towards it} in one pass (None if not a linear model)."""
    pipes = members(estimator)
    if not pipes or len(frame) == 0:
        return None
    out: dict = {}
    for pipe in pipes:
        clf = pipe.named_steps["clf"]
        X = pipe.named_steps["features"].transform(frame)
        coef = np.asarray(clf.coef_)
        classes = [str(c) for c in clf.classes_]
        if coef.shape[0] == 1:
            pos = np.asarray(X @ coef[0]).ravel()
            contrib = {classes[1]: pos, classes[0]: -pos}
        else:
            W = (coef - coef.mean(axis=0)).T
            S = np.asarray(X @ W)
            contrib = {c: S[:, k] for k, c in enumerate(classes)}
        for c, v in contrib.items():
            out[c] = out.get(c, 0) + v / len(pipes)
    return out


def rule_scores(infos: list[SentenceInfo], lexicons: set[str]) -> np.ndarray:
    return np.array([float(sum(1 for m in i.matches if m.lexicon in lexicons)) for i in infos])


MIN_EVIDENCE_WORDS = 4  # shorter "sentences" are run-in labels ("Background", "Conclusions:") or fragments


def pick(infos: list[SentenceInfo], scores: np.ndarray, k: int = 3, label: str | None = None) -> list[dict]:
    """The ``k`` best-scoring sentences (score > 0) as evidence items; never a heading-like fragment."""
    out = []
    if scores is None or len(infos) == 0:
        return out
    order = np.argsort(-scores, kind="stable")
    seen = set()
    for i in order:
        if scores[i] <= 0 or len(out) >= k:
            break
        info = infos[i]
        key = (info.section, info.sentence.start)
        if key in seen or len(info.sentence.text.split()) < MIN_EVIDENCE_WORDS:
            continue
        seen.add(key)
        item = {"text": info.sentence.text, "section": info.section, "start": int(info.sentence.start),
                "end": int(info.sentence.end), "score": round(float(scores[i]), 4)}
        if label:
            item["label"] = label
        out.append(item)
    return out


def sentence_table(infos: list[SentenceInfo], names: list[str], pairs=(), near=()):
    return sentence_frame(infos, names, pairs, near)
