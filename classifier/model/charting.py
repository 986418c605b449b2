"""``ChartingModel``: the codebook's tasks (``data/schema.yml``) for Documents, with evidence and an
accept-unread status per label.

scikit-learn conventions: a ``BaseEstimator`` whose parameters are set in ``__init__`` (their defaults are
the shipped model's), nothing learned until ``fit``, fitted attributes end in ``_``. Every setting that
is tuned (the regularisation ``C`` of each logistic model, the confidence threshold behind each status)
is chosen inside ``fit`` on the training data alone, so cross-validating ``fit`` is a nested estimate.

Per target (``schema.Task.targets``):

- a single-choice task (role): logistic regression over TF-IDF words and the codebook lexicon features;
- each yes/no target (every phase, boundary spanner): logistic regression over the features of the
  lexicons that name its task (the codebook's words), so that it cannot learn a topic instead;
- a target with fewer than ``min_positives`` examples of a value: a constant (the labels' distribution).

Labels are the most probable value (no decision threshold tuned towards rare classes: rare-class
emphasis in what a reviewer sees first belongs to the order of the review queue). A single-choice model
learns with balanced class weights (a rare role's cues count as much as a common one's: the share of
each role differs between the review, abstract-charted studies and new literature) and its
probabilities are then calibrated by temperature scaling on cross-validated scores, which makes them
no sharper or flatter than its real accuracy without moving the most probable value. Each logistic
model's ``C`` minimises the cross-validated log-loss.

Accept-unread status: out-of-fold probabilities of the training data (``oof_``) calibrate, per task and
for a requested error rate, (a) the prediction set: every value whose probability is at least the
split-conformal (LAC) threshold at that rate, and (b) per label value, the confidence from which that
label is ``confident``: the lowest threshold at which, out of fold, the labels of that value at least
that confident were wrong at most at the requested rate (counting one more error, as conformal
prediction does). Thresholds per value (Mondrian, as in label-conditional conformal prediction) let the
common, reliably recognised labels be accepted while a rare value's errors never hide among them. A
``confident`` label has a single-value set; every other label is ``check``.
A document that never mentions peer workers is always ``check``.

Training labels the text cannot show: the review charted full texts, the corpus holds abstracts. A
``true`` yes/no label given from a full text (``FULL_TEXT_SOURCES``) to a document read as title and
abstract only, whose text holds none of the target's codebook words, is left out of that target's
training and of the out-of-fold errors behind its statuses (``text_can_show``); so is, from the statuses
only, a full-text role whose abstract holds none of the words that mark it. A status thus says how often
a label disagrees with what a charter reading the same text would chart. ``shown_labels`` gives those
labels, so that an evaluation can count the statuses' errors both ways; every other evaluation uses
every label.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from ..document import Document
from ..features.lexicons import Lexicon, load_lexicons
from ..features.rules import LexiconMatcherMixin, RuleMatcher
from ..features.table import featurize, rule_columns
from ..features.tfidf import shared_analysis
from ..schema import charting_tasks, tasks
from . import evidence as ev
from .build_labels import INFERRED, STATED
from .estimators import make_pipeline, predict_proba
from .rules_baseline import add_rule_decisions, rules_predict_row

FULL_TEXT_SOURCES = (STATED, INFERRED)   # labels charted from full texts
FRONT_ONLY = {"title", "abstract"}


class NotFittedError(RuntimeError):
    pass


_CONTROLLER: list = []


@contextmanager
def _one_thread():
    """BLAS/OpenMP limited to one thread: more only cost time on matrices this small (and on a shared
    machine, a lot). threadpoolctl finds the loaded libraries once per process."""
    from threadpoolctl import ThreadpoolController

    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    with _CONTROLLER[0].limit(limits=1):
        yield


def _lexicon_of(column: str) -> str:
    """The lexicon a rule column counts: ``rule_design+co_creation_all`` and ``rule_design@peer_actor_front``
    are design's."""
    return column[len("rule_"):].rsplit("_", 1)[0].replace("@", "+").split("+")[0]


def _unshown(value: str, y: pd.Series, counts: pd.DataFrame, sources, front_only) -> pd.Series:
    """``y`` with its full-text labels of ``value`` on a title and abstract where none of ``counts``
    (the words that mark that value) occurs set to unknown: the text cannot show them."""
    if counts.shape[1] == 0:
        return y
    silent = counts.to_numpy().sum(axis=1) == 0
    return y.where(~((y.to_numpy() == value) & np.isin(sources, FULL_TEXT_SOURCES) & front_only & silent), None)


def _task_of(target: str):
    for task in charting_tasks().values():
        if target in task.targets:
            return task
    raise KeyError(target)


class ChartingModel(LexiconMatcherMixin, BaseEstimator):
    """Predicts the codebook's tasks for Documents.

    Parameters
    ----------
    C_grid : candidate inverse regularisation strengths; each target's is chosen by ``inner_folds``-fold
        cross-validated log-loss on the training data.
    rule_weight : scale of the lexicon features beside TF-IDF (single-choice tasks).
    class_weight : class weights of the single-choice models while they learn (``"balanced"``: a rare
        role's cues count as much as a common one's).
    calibration : ``"temperature"``: the single-choice models' probabilities are then calibrated on
        cross-validated scores of the training data by temperature scaling (one factor on the logits:
        confidences that match real accuracy, the most probable value unchanged); ``"sigmoid"`` or
        ``"isotonic"``: per-value calibration (which can move the most probable value towards the
        common ones); ``"none"``: the logistic model's own.
    yes_no_class_weight : class weights of the yes/no models. ``"balanced"``: a yes/no label says
        whether the text shows the codebook's cue, whatever its share of the training studies (the
        review's full-text labels and abstract-charted labels differ several-fold in how often they are
        ``true``, and new literature may differ again); the statuses are calibrated on real errors.
    min_positives : fewer examples than this of a target's rarest value make it a constant prior.
    use_inferred : train on labels inferred from the review's counts (``review_inferred``).
    text_can_show : leave out full-text labels whose abstract holds none of the words that mark them
        (a yes/no ``true``: the target's codebook words; a role: the words its lexicons ``show``) from the
        out-of-fold errors behind the statuses, and, for a yes/no target, from training.
    inner_folds, oof_folds : folds for choosing ``C`` and for the out-of-fold probabilities behind the
        statuses.
    error_rate : default error rate of ``confident`` labels (``predict(..., error_rate=)`` overrides it).
    evidence_k : evidence sentences per task.
    lexicons : list of lexicon dicts; default the packaged ``data/lexicons``.
    """

    def __init__(self, C_grid=(0.1, 0.3, 1.0, 3.0, 10.0, 30.0), rule_weight=1.0, class_weight="balanced",
                 calibration="temperature", yes_no_class_weight="balanced", min_positives=2, use_inferred=True, text_can_show=True, inner_folds=3, oof_folds=5, error_rate=0.05,
                 evidence_k=3, lexicons=None, random_state=0):
        self.C_grid = C_grid
        self.rule_weight = rule_weight
        self.class_weight = class_weight
        self.calibration = calibration
        self.yes_no_class_weight = yes_no_class_weight
        self.min_positives = min_positives
        self.use_inferred = use_inferred
        self.text_can_show = text_can_show
        self.inner_folds = inner_folds
        self.oof_folds = oof_folds
        self.error_rate = error_rate
        self.evidence_k = evidence_k
        self.lexicons = lexicons
        self.random_state = random_state

    _TRANSIENT = ("_matcher", "_thresholds")   # not saved: rebuilt on demand


    # -- training labels ------------------------------------------------------------------------------
    def _targets(self, labels: pd.DataFrame, ids: list[str]) -> dict[str, pd.Series]:
        """Per-task label Series aligned to ``ids`` (None = unknown); inferred labels dropped if asked."""
        T = charting_tasks()
        labels = labels.copy()
        if "id" in labels.columns:
            labels = labels.set_index("id")
        labels.index = labels.index.astype(str)
        labels = labels[~labels.index.duplicated(keep="last")]
        out = {}
        for name, task in T.items():
            if name not in labels.columns:
                out[name] = pd.Series([None] * len(ids), index=ids, dtype=object)
                continue
            col = labels[name].map(task.parse)
            src = f"{name}_source"
            if not self.use_inferred and src in labels.columns:
                col = col.where(labels[src].astype(str) != INFERRED, None)
            out[name] = col.reindex(ids).astype(object).where(lambda s: s.notna(), None)
        return out

    @staticmethod
    def _sources(labels: pd.DataFrame, ids, task: str) -> pd.Series:
        frame = labels.set_index("id") if "id" in labels.columns else labels
        frame = frame[~frame.index.duplicated(keep="last")]
        col = f"{task}_source"
        if col not in frame.columns:
            return pd.Series("", index=ids)
        return frame[col].reindex(ids).fillna("").astype(str)

    def _target_labels(self, targets, labels, ids, documents, table) -> dict[str, tuple[pd.Series, pd.Series]]:
        """Per estimator target (``Task.targets``): (the labels it learns from; the labels its statuses are
        calibrated on), those the text cannot show removed (``text_can_show``) from both for a yes/no
        target, and from the second only for a single-choice one: a role's words missing from an
        abstract still leave the study an example of that role (measured: role macro-F1 0.712 trained
        on every role label, 0.684 without those, over 4 repeats of nested CV)."""
        out = {}
        front_only = np.array([{s.name for s in d.sections} <= FRONT_ONLY for d in documents])
        for name, task in charting_tasks().items():
            y_task = targets[name]
            sources = self._sources(labels, ids, name).to_numpy()
            for target in task.targets:
                if task.kind == "multi":
                    value = task.values[task.targets.index(target)]
                    y = y_task.map(lambda c, v=value: None if c is None else ("true" if v in c.split(";") else "false"))
                else:
                    y = y_task.copy()
                # a phase with no lexicon of its own (delivery: the review states it of every study, in no
                # particular words) has no words an abstract could lack
                own = task.kind == "binary" or (task.kind == "multi" and
                                                 any(d["name"] == value for d in self.lexicon_data_))
                if self.text_can_show and task.kind != "single" and own:
                    cols = [c for c in self._rule_columns_for(target) if c.startswith("rule_")]
                    out[target] = (_unshown("true", y, table[cols], sources, front_only),) * 2
                elif self.text_can_show and task.kind == "single":
                    shown = y
                    for v in task.values:   # the words of the lexicons that show each value (``shows``)
                        mine = {d["name"] for d in self.lexicon_data_
                                if (task.name, v) in map(tuple, d.get("shows", ()))}
                        cols = [c for c in self.rule_columns_ if _lexicon_of(c) in mine]
                        shown = _unshown(v, shown, table[cols], sources, front_only)
                    out[target] = (y, shown)
                else:
                    out[target] = (y, y)
        return out

    def shown_labels(self, documents: list[Document], labels: pd.DataFrame) -> dict[str, pd.Series]:
        """Per task, the labels of ``documents`` (indexed by id) that their text can show: a yes/no label
        left out by ``text_can_show`` is unknown, and so is a multi task's label when any of its values
        is. What the statuses' error rates are calibrated against."""
        self._check()
        documents = list(documents)
        ids = [d.id or d.source for d in documents]
        targets = self._targets(labels, ids)
        per_target = self._target_labels(targets, labels, ids, documents, self._table(documents))
        out = {}
        for name, task in charting_tasks().items():
            y = targets[name].copy()
            for target in task.targets:
                y = y.where(per_target[target][1].notna() | targets[name].isna(), None)
            out[name] = y
        return out

    # -- features per target --------------------------------------------------------------------------
    def _table(self, documents, feats=None) -> pd.DataFrame:
        """The feature table: text, lexicon counts, the fixed rules' decisions, and per label the score
        of the sentence that shows it most plainly (``features/cues.py``: a cue with the peer worker as
        its actor scores high, the same words not about peers low)."""
        from ..features.cues import cue_scorer

        feats = feats or featurize(documents, self._get_matcher())
        table = add_rule_decisions(feats.frame)
        scorer = cue_scorer()
        best = [_best_scores(scorer, d) for d in documents]
        for key in (best[0] if best else {}):
            table[_cue_column(key)] = [b.get(key, 0.0) for b in best]
        return table

    def _rule_columns_for(self, target) -> list[str]:
        """Single-choice tasks: every rule column. Yes/no targets: those of the lexicons naming the task
        (for a lexicon with ``near:`` actors, only its matches in a sentence naming them), and, for a
        phase, the fixed rule's decision for that phase."""
        task = _task_of(target)
        if task.kind == "single":
            return list(self.rule_columns_) + [c for c in self.cue_columns_ if c.startswith(f"cue_{task.name}:")]
        value = "true" if task.kind == "binary" else task.values[task.targets.index(target)]
        cue = [c for c in self.cue_columns_ if c == _cue_column(f"{task.name}:{value}")]
        mine = {d["name"] for d in self.lexicon_data_ if task.name in d.get("tasks", [])}
        keep = [c for c in self.rule_columns_ if _lexicon_of(c) in mine]
        # a lexicon that names who must act (``near:``, the peer worker) counts only where its actor is
        # named: "advocacy" about policy or participants' self-advocacy is not the peer worker's
        near = {d["name"] for d in self.lexicon_data_ if d["name"] in mine and d.get("near")}
        keep = [c for c in keep if "@" in c or c[len("rule_"):].rsplit("_", 1)[0] not in near]
        if task.kind == "multi":
            keep.append(f"rulesays_{target}")
        return keep + cue

    def _pipeline(self, target):
        task = _task_of(target)
        weight = self.class_weight if task.kind == "single" else self.yes_no_class_weight
        return make_pipeline(self._rule_columns_for(target), use_tfidf=task.kind == "single", use_rules=True,
                             C=1.0, rule_weight=self.rule_weight, class_weight=weight, random_state=self.random_state)

    # -- training ---------------------------------------------------------------------------------------
    def fit(self, documents: list[Document], labels: pd.DataFrame) -> "ChartingModel":
        with _one_thread():
            return self._fit(list(documents), labels)

    def _fit(self, documents, labels):
        lex = self.lexicons if self.lexicons is not None else [lx.to_dict() for lx in load_lexicons()]
        self.lexicon_data_ = [dict(d) for d in lex]
        self.__dict__.pop("_matcher", None)
        self.__dict__.pop("_thresholds", None)
        ids = [d.id or d.source for d in documents]
        table = self._table(documents)
        m = self._get_matcher()
        self.rule_columns_ = rule_columns(m.names, m.pairs, m.near)
        self.cue_columns_ = [c for c in table.columns if c.startswith("cue_")]
        per_target = self._target_labels(self._targets(labels, ids), labels, ids, documents, table)
        self.estimators_, self.kinds_, self.n_train_, self.C_, self.oof_ = {}, {}, {}, {}, {}
        for target, (y, shown) in per_target.items():
            self._fit_target(target, table, y)
            o = self.oof_[target]   # which of its out-of-fold labels the statuses are calibrated on
            o["shown"] = [shown.get(i) is not None for i in o["ids"]]
        if not any(self.n_train_.values()):
            raise ValueError("no labelled documents: check the labels file and that the text ids match its ids")
        self.classes_ = {k: [str(c) for c in est.classes_] for k, est in self.estimators_.items()}
        return self

    def _fit_target(self, target, table, y: pd.Series):
        """Fit one target on the labels ``y``, and keep its out-of-fold probabilities (``oof_``)."""
        task = _task_of(target)
        mask = y.notna().to_numpy()
        X, yy = table.loc[mask].reset_index(drop=True), y[mask].astype(str).to_numpy()
        ids = [str(i) for i in y.index[mask]]
        self.n_train_[target] = int(mask.sum())
        values, counts = np.unique(yy, return_counts=True)
        if len(values) < 2 or counts.min() < max(2, self.min_positives):
            classes = list(task.values) if task.kind == "single" else ["false", "true"]
            if len(yy) == 0:   # nothing to learn from: every value equally likely, never confident
                est = DummyClassifier(strategy="uniform").fit(np.zeros((len(classes), 1)), classes)
            else:
                est = DummyClassifier(strategy="prior").fit(np.zeros((len(yy), 1)), yy)
            self.estimators_[target], self.kinds_[target] = est, "constant"
            P = est.predict_proba(np.zeros((len(yy), 1)))
            self.oof_[target] = {"classes": [str(c) for c in est.classes_], "proba": P, "truth": list(yy), "ids": ids}
            return
        inner = StratifiedKFold(int(min(self.inner_folds, counts.min())), shuffle=True, random_state=self.random_state)
        grid = GridSearchCV(self._pipeline(target), {"clf__C": list(self.C_grid)}, scoring="neg_log_loss",
                            cv=inner, refit=True, error_score="raise")
        try:
            grid.fit(X, yy)
        except ValueError:   # e.g. an empty vocabulary on a handful of short texts: a constant
            est = DummyClassifier(strategy="prior").fit(np.zeros((len(yy), 1)), yy)
            self.estimators_[target], self.kinds_[target] = est, "constant"
            self.oof_[target] = {"classes": [str(c) for c in est.classes_],
                                 "proba": est.predict_proba(np.zeros((len(yy), 1))), "truth": list(yy), "ids": ids}
            return
        self.C_[target] = float(grid.best_params_["clf__C"])
        best = self._calibrated(task, _strip(grid.best_estimator_), X, yy)
        self.estimators_[target], self.kinds_[target] = best, "logistic"
        classes = [str(c) for c in best.classes_]
        outer = StratifiedKFold(int(min(self.oof_folds, counts.min())), shuffle=True, random_state=self.random_state)
        P = np.zeros((len(yy), len(classes)))
        for train, test in outer.split(X, yy):   # out-of-fold probabilities, with the chosen C
            est = self._calibrated(task, clone(grid.best_estimator_).fit(X.iloc[train], yy[train]),
                                   X.iloc[train], yy[train])
            fold = [str(c) for c in est.classes_]
            Q = est.predict_proba(X.iloc[test])
            for j, c in enumerate(fold):
                P[test, classes.index(c)] = Q[:, j]
        self.oof_[target] = {"classes": classes, "proba": P, "truth": list(yy), "ids": ids}

    def _calibrated(self, task, fitted, X, y):
        """A single-choice model's probabilities calibrated on cross-validated scores (``calibration``),
        when every value has at least two examples; otherwise the fitted pipeline as it is."""
        if task.kind != "single" or self.calibration in (None, "none"):
            return fitted
        _, counts = np.unique(y, return_counts=True)
        folds = int(min(3, counts.min()))
        if folds < 2 or len(counts) < 2:
            return fitted
        est = CalibratedClassifierCV(clone(fitted), method=self.calibration, ensemble=False,
                                     cv=StratifiedKFold(folds, shuffle=True, random_state=self.random_state))
        est.fit(X, y)
        for c in est.calibrated_classifiers_:
            _strip(c.estimator)
        return est

    # -- prediction -------------------------------------------------------------------------------------
    def _check(self):
        if not hasattr(self, "estimators_"):
            raise NotFittedError("this ChartingModel is not fitted yet: call fit() or load_model()")

    def predict_proba_table(self, documents: list[Document]) -> pd.DataFrame:
        """Probabilities only (no evidence): one column per ``Task.prob_columns``."""
        self._check()
        table = self._table(list(documents))
        with _one_thread():
            return self._proba(table)

    def _proba(self, table: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(index=range(len(table)))
        if len(table) == 0:
            return out
        for task in charting_tasks().values():
            if task.kind == "single":
                P = predict_proba(self.estimators_[task.name], table)
                classes = self.classes_[task.name]
                for v in task.values:
                    out[task.prob_column(v)] = P[:, classes.index(v)] if v in classes else 0.0
                continue
            for target, value in zip(task.targets, task.values if task.kind == "multi" else ["true"]):
                P = predict_proba(self.estimators_[target], table)
                cl = self.classes_[target]
                column = task.prob_column(value)
                out[column] = P[:, cl.index("true")] if "true" in cl else 0.0
        return out

    # -- decisions and statuses -------------------------------------------------------------------------
    @staticmethod
    def _task_proba(task, row) -> dict[str, float]:
        """{value: probability} for a single or yes/no task; for a multi task {value: P(value present)}."""
        if task.kind == "binary":
            p = float(row[task.prob_column("true")])
            return {"true": p, "false": 1.0 - p}
        return {v: float(row[task.prob_column(v)]) for v in task.values}

    def _decide_labels(self, row) -> dict:
        """The most probable value of every task; a multi task takes each value with P >= 0.5 (at least
        its most probable one), and co-creation implies an early phase (codebook: partners from the
        planning and design phases)."""
        out = {}
        for task in charting_tasks().values():
            P = self._task_proba(task, row)
            if task.kind == "multi":
                chosen = [v for v in task.values if P[v] >= 0.5] or [max(task.values, key=P.get)]
                out[task.name] = chosen
            else:
                value = max(task.values, key=lambda v: P.get(v, 0.0))
                out[task.name] = value
                if task.kind == "single":
                    out[f"{task.name}_confidence"] = P[value]
        role, phases = out.get("role"), out.get("phases")
        if role == "co_creation" and phases is not None and not {"commissioning", "design"} & set(phases):
            P = self._task_proba(tasks()["phases"], row)
            phases.append(max(("commissioning", "design"), key=P.get))
        for task in charting_tasks().values():
            if task.kind == "multi":
                out[task.name] = ";".join(v for v in task.values if v in out[task.name])
        return out

    def thresholds(self, error_rate: float | None = None) -> dict[str, dict]:
        """Per task, for ``error_rate``: ``set`` (a value is in the prediction set when its probability is
        at least this) and ``confident`` ({label: threshold}: a label is confident when its probability —
        for a multi task, every value's probability of being present or absent — is at least its
        label's threshold; a label missing there is never confident). Computed from the
        out-of-fold probabilities of the training data; memoised per rate."""
        self._check()
        rate = float(self.error_rate if error_rate is None else error_rate)
        cache = self.__dict__.setdefault("_thresholds", {})
        if rate not in cache:
            cache[rate] = {name: _task_thresholds(task, self._oof_task(task), rate)
                           for name, task in charting_tasks().items()}
        return cache[rate]

    def _oof_task(self, task):
        """Out-of-fold (probability of the true value, probability of the chosen value, correct) per
        training study of ``task``; for a multi task per study over its values."""
        if task.kind != "multi":
            o = self.oof_[task.targets[0]]
            keep = np.asarray(o.get("shown", [True] * len(o["truth"])), bool)
            classes, P = o["classes"], np.asarray(o["proba"], float)[keep]
            truth = [t for t, k in zip(o["truth"], keep) if k]
            if len(truth) == 0:
                return np.zeros(0), np.zeros(0), np.zeros(0, bool), np.zeros(0, object)
            chosen = P.argmax(axis=1)
            p_true = np.array([P[i, classes.index(t)] if t in classes else 0.0 for i, t in enumerate(truth)])
            correct = np.array([classes[c] == t for c, t in zip(chosen, truth)])
            return p_true, P.max(axis=1), correct, np.array([classes[c] for c in chosen], dtype=object)
        # a multi task: the weakest of its per-value decisions decides the study's confidence (studies
        # with a label for every value)
        per = []
        for target in task.targets:
            o = self.oof_[target]
            cl, P = o["classes"], np.asarray(o["proba"], float)
            pt = P[:, cl.index("true")] if "true" in cl else np.zeros(len(o["truth"]))
            per.append({i: (p, t == "true") for i, p, t in zip(o["ids"], pt, o["truth"])})
        common = [i for i in per[0] if all(i in d for d in per)]
        if not common:
            return np.zeros(0), np.zeros(0), np.zeros(0, bool), np.zeros(0, object)
        p = np.array([[d[i][0] for i in common] for d in per])
        t = np.array([[d[i][1] for i in common] for d in per])
        conf = np.maximum(p, 1 - p).min(axis=0)
        correct = np.all((p >= 0.5) == t, axis=0)
        p_true = np.where(t, p, 1 - p).min(axis=0)
        chosen = np.array([";".join(v for v, yes in zip(task.values, col) if yes) for col in (p >= 0.5).T],
                          dtype=object)
        return p_true, conf, correct, chosen

    def statuses(self, row, decided: dict, error_rate=None, never_confident: bool = False) -> dict:
        """``<task>_status`` (confident|check) and ``<task>_set`` for one row of probabilities."""
        th = self.thresholds(error_rate)
        out = {}
        for name, task in charting_tasks().items():
            t = th[name]
            P = self._task_proba(task, row)
            if task.kind == "multi":
                conf = min(max(p, 1 - p) for p in P.values())
                chosen = decided[name].split(";")
                agrees = all((P[v] >= 0.5) == (v in chosen) for v in task.values)
                possible = [v for v in task.values if P[v] >= t["set"] or v in chosen]
                confident = agrees and conf >= t["confident"].get(decided[name], 1.01)
                out[f"{name}_set"] = ";".join(chosen if confident else possible)
            else:
                value = decided[name]
                confident = P[value] >= t["confident"].get(value, 1.01)
                members = [v for v in task.values if v == value or P[v] >= t["set"]]
                if task.kind == "single":
                    out[f"{name}_set"] = value if confident else ";".join(members)
            out[f"{name}_status"] = "confident" if confident and not never_confident else "check"
        return out

    def decide(self, row, error_rate=None, never_confident=False) -> dict:
        """Labels, confidences and statuses from one row of probabilities."""
        out = self._decide_labels(row)
        out.update(self.statuses(row, out, error_rate, never_confident))
        return out

    def predict(self, documents: list[Document], error_rate: float | None = None) -> list[dict]:
        """One prediction dict per document (``docs/ARCHITECTURE.md``), with evidence sentences."""
        from ..features.topic import peer_terms

        self._check()
        documents = list(documents)
        feats = featurize(documents, self._get_matcher())
        with _one_thread(), shared_analysis():  # one n-gram split per text for all tasks
            probs = self._proba(self._table(documents, feats))
        out = []
        for i, doc in enumerate(documents):
            base = _base(doc)
            if not feats.frame.loc[i, "front"].strip() and not feats.sentences[i]:
                base.update(status="error", error=f"{base['id']}: no text to classify (empty title and abstract)")
                out.append(base)
                continue
            row = probs.iloc[i]
            terms = peer_terms(doc)
            pred = self.decide(row, error_rate, never_confident=terms == 0)
            for task in charting_tasks().values():
                base[task.name] = pred[task.name]
                if task.kind == "single":
                    base[f"{task.name}_confidence"] = round(float(pred[f"{task.name}_confidence"]), 4)
                for col in task.prob_columns:
                    base[col] = round(float(row[col]), 4)
                for col in task.decision_columns:
                    if col in pred:
                        base[col] = pred[col]
            base["peer_terms"] = terms
            base.update(self._evidence(doc, base))
            out.append(base)
        return out

    def _evidence(self, document: Document, prediction: dict) -> dict:
        """``evidence`` and ``evidence_notes`` for the predicted labels (``model/evidence.py``: codebook
        cues, not the model's weights)."""
        return ev.ranker(self.evidence_k).explain(document, prediction)

    def rules_predict(self, documents: list[Document]) -> list[dict]:
        """The rules-only baseline: fixed decisions from lexicon matches, same dict shape as predict."""
        lex = (self.__dict__.get("lexicon_data_") or
               (self.lexicons if self.lexicons is not None else [lx.to_dict() for lx in load_lexicons()]))
        matcher = self.__dict__.get("_matcher") if hasattr(self, "lexicon_data_") else None
        if matcher is None:
            matcher = RuleMatcher([Lexicon.from_dict(d) for d in lex])
        feats = featurize(list(documents), matcher)
        out = []
        for i, doc in enumerate(documents):
            base = _base(doc)
            base.update(rules_predict_row(feats.frame.iloc[i]))
            base.update(ev.ranker(self.evidence_k).explain(doc, base))
            out.append(base)
        return out


def _task_thresholds(task, oof, rate: float) -> dict:
    """``set``: the split-conformal (LAC) threshold at ``rate``: 1 minus the ceil((n+1)(1-rate))-th smallest
    out-of-fold score 1 - P(true value). ``confident``: per label (the value chosen out of fold), the
    lowest confidence (>= 0.5) from which the out-of-fold labels of that value are wrong at most at
    ``rate`` (``_confident_level``)."""
    p_true, conf, correct, chosen = oof
    n = len(p_true)
    if n == 0:
        return {"set": 0.0, "confident": {}, "n": 0}
    scores = np.sort(1.0 - p_true)
    k = int(np.ceil((n + 1) * (1 - rate)))
    q = 1.0 if k > n else float(scores[k - 1])
    levels = {str(v): _confident_level(conf[chosen == v], correct[chosen == v], rate) for v in sorted(set(chosen))}
    return {"set": max(0.0, 1.0 - q), "confident": {v: c for v, c in levels.items() if c <= 1.0}, "n": n}


def _confident_level(conf, correct, rate: float) -> float:
    """The lowest confidence (>= 0.5) at which the labels at least that confident are wrong at most at
    ``rate``, counted as conformal prediction does, as if one more study beyond them were wrong
    ((errors + 1) / (accepted + 1)): a handful of lucky studies never makes a level confident. Above 1
    (never confident) when no such level exists."""
    n = len(conf)
    order = np.argsort(-conf, kind="stable")
    c_sorted, ok = conf[order], correct[order]
    errors = np.cumsum(~ok)
    counts = np.arange(1, n + 1)
    for i in range(n - 1, -1, -1):   # the lowest threshold whose accepted labels meet the rate
        if c_sorted[i] < 0.5:
            continue
        if i + 1 < n and c_sorted[i + 1] == c_sorted[i]:
            continue  # a threshold accepts every study with that confidence: decide at the last of a tie
        if (errors[i] + 1) / (counts[i] + 1) <= rate:
            return float(c_sorted[i])
    return 1.01


_BEST: dict = {}   # document content -> cue scores (bounded: refits on a corpus score each text once)


def _best_scores(scorer, document: Document) -> dict:
    import hashlib

    h = hashlib.sha1()
    for s in document.sections:
        h.update(b"\0" + s.name.encode() + b"\0" + s.text.encode("utf-8", "replace"))
    key = h.hexdigest()
    if key not in _BEST:
        if len(_BEST) > 2000:
            _BEST.clear()
        _BEST[key] = scorer.best_scores(document)
    return _BEST[key]


def _cue_column(key: str) -> str:
    """``role:co_creation`` -> ``cue_role:co_creation``."""
    return f"cue_{key}"


def _strip(pipeline):
    """Drop ``TfidfVectorizer.stop_words_`` (every pruned term: megabytes, only for introspection)."""
    from sklearn.feature_extraction.text import TfidfVectorizer as _T

    for _, trans, _ in getattr(pipeline.named_steps["features"], "transformers_", []):
        if isinstance(trans, _T) and hasattr(trans, "stop_words_"):
            del trans.stop_words_
    return pipeline


def _base(doc: Document) -> dict:
    return {"id": doc.id or doc.source, "source": doc.source, "title": doc.title, "status": "ok", "error": ""}
