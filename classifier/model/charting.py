"""``ChartingModel``: role (3 classes), phases (one-vs-rest), boundary_spanner (binary), with evidence.

scikit-learn conventions: parameters in ``__init__``, nothing learned until ``fit``; fitted attributes
end in ``_``. The rule matcher (spaCy) is rebuilt on demand from the lexicon data the model carries, so
a saved model holds only plain data and scikit-learn estimators.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier

from ..document import Document
from ..features.lexicons import Lexicon, load_lexicons
from ..features.rules import RuleMatcher
from ..features.table import featurize, rule_columns
from ..features.tfidf import shared_analysis
from ..schema import tasks
from . import evidence as ev
from .estimators import fit_calibrated, make_pipeline, oof_threshold, predict_proba
from .rule_prior import RulePrior
from .rules_baseline import add_rule_decisions, rules_predict_row

ROLE_VALUES = ("pre_determined", "peer_support", "co_creation")
PHASE_VALUES = ("commissioning", "design", "delivery", "assessment")
INFERRED = "review_inferred"
# The review's distribution over its 172 studies (codebook.md): used only for a task with no labels at all.
CODEBOOK_PRIORS = {
    "role": {"pre_determined": 21 / 172, "peer_support": 145 / 172, "co_creation": 6 / 172},
    "phase_commissioning": {"true": 1 / 172, "false": 171 / 172},
    "phase_design": {"true": 6 / 172, "false": 166 / 172},
    "phase_delivery": {"true": 1.0},
    "phase_assessment": {"true": 2 / 172, "false": 170 / 172},
    "boundary_spanner": {"true": 132 / 172, "false": 40 / 172},
}


class NotFittedError(RuntimeError):
    pass


_CONTROLLER: list = []


@contextmanager
def _one_thread():
    """BLAS/OpenMP limited to one thread: more only cost time on matrices this small (and on a shared
    machine, a lot). threadpoolctl finds the loaded libraries once per process (it reads the process's
    memory map, ~3 ms, which ``threadpool_limits`` did on every call)."""
    from threadpoolctl import ThreadpoolController

    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    with _CONTROLLER[0].limit(limits=1):
        yield


class ChartingModel:
    """Predicts the three charting tasks of ``../shared/codebook.md`` for Documents.

    Parameters: ``C`` (inverse regularisation of the logistic models), ``rule_weight`` (scale of the
    lexicon features), ``use_tfidf``/``use_rules`` (feature families), ``char_ngrams``, ``class_weight``
    (``"balanced"`` or ``None``), ``calibration`` (``"sigmoid"``, ``"isotonic"``, ``"none"``),
    ``use_inferred`` (train on labels inferred from the review's counts), ``min_positives`` (below it a
    binary target is modelled from rule features only), ``evidence_k`` (sentences per task),
    ``rule_fallback`` (a phase with fewer positives than this, but at least one, is decided by the fixed
    rule of ``rules_predict`` turned into a probability: ``RulePrior``), ``phase_rule_gate`` (a phase beyond delivery needs the
    fixed rule too: where the rule is silent its probability is capped at the rate of that phase among the
    training studies where the rule is silent), ``couple_phases`` (a study predicted ``co_creation`` also
    gets ``design`` or ``commissioning``), ``scoped_rules`` (tasks whose models read only the features of
    the lexicons naming the task in ``tasks:``), ``bs_sources`` (label sources boundary_spanner is trained
    on; None: all), ``bs_source_weights`` (``{source: weight}``: sample weights of the boundary_spanner
    labels by their ``boundary_spanner_source``; a source not named weighs 1; None: all equal), ``bs_threshold`` (``"f1_true"``/``"macro_f1"``: the boundary_spanner threshold is
    chosen on out-of-fold probabilities of the training data), ``phase_balance`` (the same for the phases; None: as ``decision_balance``), ``rules_only_tasks``
    (estimator names, e.g. ``("boundary_spanner",)``, modelled from the lexicon features only),
    ``lexicons`` (list of lexicon dicts; default the packaged ``data/lexicons``), ``decision_balance``
    (0: labels are the most probable values; 1: each probability is divided by its class's training
    frequency before the choice, so a rare class such as co-creation is predicted when it is clearly more
    likely than usual, even below 0.5. The probabilities themselves stay calibrated); ``bs_balance``
    (the same for boundary_spanner).
    """

    def __init__(self, C=1.0, rule_weight=1.0, use_tfidf=True, use_rules=True, char_ngrams=False,
                 class_weight="balanced", calibration="sigmoid", use_inferred=True, min_positives=6,
                 evidence_k=3, lexicons=None, decision_balance=1.0, bs_balance=1.0, phase_balance=None, rules_only_tasks=(),
                 rule_fallback=0, bs_sources=None, bs_threshold=None, scoped_rules=(),
                 couple_phases=True, phase_rule_gate=False, bs_source_weights=None, random_state=0):
        self.C = C
        self.rule_weight = rule_weight
        self.use_tfidf = use_tfidf
        self.use_rules = use_rules
        self.char_ngrams = char_ngrams
        self.class_weight = class_weight
        self.calibration = calibration
        self.use_inferred = use_inferred
        self.min_positives = min_positives
        self.evidence_k = evidence_k
        self.lexicons = lexicons
        self.decision_balance = decision_balance
        self.bs_balance = bs_balance
        self.phase_balance = phase_balance
        self.rules_only_tasks = rules_only_tasks
        self.rule_fallback = rule_fallback
        self.bs_sources = bs_sources
        self.bs_threshold = bs_threshold
        self.scoped_rules = scoped_rules
        self.couple_phases = couple_phases
        self.phase_rule_gate = phase_rule_gate
        self.bs_source_weights = bs_source_weights
        self.random_state = random_state

    # -- scikit-learn style parameter access -------------------------------------------------------
    PARAMS = ("C", "rule_weight", "use_tfidf", "use_rules", "char_ngrams", "class_weight", "calibration",
              "use_inferred", "min_positives", "evidence_k", "lexicons", "decision_balance", "bs_balance", "phase_balance", "rules_only_tasks",
              "rule_fallback", "bs_sources", "bs_threshold", "scoped_rules", "couple_phases", "phase_rule_gate", "bs_source_weights",
              "random_state")

    def get_params(self, deep=False) -> dict:
        return {p: getattr(self, p) for p in self.PARAMS}

    def set_params(self, **params):
        for k, v in params.items():
            if k not in self.PARAMS:
                raise ValueError(f"unknown parameter {k!r}")
            setattr(self, k, v)
        return self

    # -- persistence hooks: never store the spaCy matcher ------------------------------------------
    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_matcher", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    def _get_matcher(self) -> RuleMatcher:
        m = self.__dict__.get("_matcher")
        if m is None:
            m = self._matcher = RuleMatcher([Lexicon.from_dict(d) for d in self.lexicon_data_])
        return m

    # -- training -----------------------------------------------------------------------------------
    def _targets(self, labels: pd.DataFrame, ids: list[str]) -> dict[str, pd.Series]:
        """Per-task label Series aligned to ``ids`` (None = unknown), inferred labels dropped if asked."""
        T = tasks()
        labels = labels.copy()
        if "id" in labels.columns:
            labels = labels.set_index("id")
        labels.index = labels.index.astype(str)
        labels = labels[~labels.index.duplicated(keep="last")]
        out = {}
        for task in ("role", "phases", "boundary_spanner"):
            if task not in labels.columns:
                out[task] = pd.Series([None] * len(ids), index=ids, dtype=object)
                continue
            col = labels[task].map(T[task].parse)
            src = f"{task}_source"
            if not self.use_inferred and src in labels.columns:
                col = col.where(labels[src].astype(str) != INFERRED, None)
            keep = getattr(self, "bs_sources", None)
            if task == "boundary_spanner" and keep and src in labels.columns:
                col = col.where(labels[src].astype(str).isin(list(keep)), None)
            out[task] = col.reindex(ids).astype(object).where(lambda s: s.notna(), None)
        return out

    def fit(self, documents: list[Document], labels: pd.DataFrame) -> "ChartingModel":
        # BLAS/OpenMP threads only cost time on matrices this small (and on a shared machine, a lot)
        with _one_thread():
            return self._fit(documents, labels)

    def _fit(self, documents: list[Document], labels: pd.DataFrame) -> "ChartingModel":
        lex = self.lexicons if self.lexicons is not None else [lx.to_dict() for lx in load_lexicons()]
        self.lexicon_data_ = [dict(d) for d in lex]
        self.__dict__.pop("_matcher", None)
        ids = [d.id or d.source for d in documents]
        targets = self._targets(labels, ids)
        table = add_rule_decisions(featurize(documents, self._get_matcher()).frame)
        m = self._get_matcher()
        self.rule_columns_ = rule_columns(m.names, m.pairs, m.near)
        self.estimators_ = {}
        self.gates_ = {}
        self.kinds_ = {}
        self.n_train_ = {}
        self.priors_ = {}

        def fit_target(name, y, *, rare, fallback=False, weights=None):
            mask = y.notna().to_numpy()
            if mask.sum() == 0:  # nothing to learn from: the codebook's distribution, as a constant prior
                prior = CODEBOOK_PRIORS[name]
                est = DummyClassifier(strategy="prior").fit(
                    np.zeros((len(prior), 1)), list(prior), sample_weight=list(prior.values()))
                self.estimators_[name], self.kinds_[name], self.n_train_[name] = est, "DummyClassifier (codebook prior)", 0
                self.priors_[name] = dict(prior)
                return
            X, yy = table.loc[mask].reset_index(drop=True), y[mask].astype(str).to_numpy()
            if fallback:  # too few positives to learn anything: the fixed rule, as a probability
                est = RulePrior(f"rulesays_{name}").fit(X, yy)
                self.estimators_[name], self.kinds_[name], self.n_train_[name] = est, "RulePrior (fixed rule)", int(mask.sum())
                values, counts = np.unique(yy, return_counts=True)
                self.priors_[name] = {str(v): float(c) / len(yy) for v, c in zip(values, counts)}
                return
            use_tfidf = self._uses_tfidf(name, rare)
            pipe = self._pipeline(name, rare)
            w = None if weights is None else weights[mask]
            est = fit_calibrated(pipe, X, yy, calibration=self.calibration, random_state=self.random_state,
                                 sample_weight=w)
            self.estimators_[name] = est
            self.kinds_[name] = type(est).__name__ + ("" if use_tfidf else " (rules only)")
            self.n_train_[name] = int(mask.sum())
            ww = np.ones(len(yy)) if w is None else np.asarray(w, dtype=float)
            values = np.unique(yy)  # class frequencies as the model saw them (weighted when weights are given)
            self.priors_[name] = {str(v): float(ww[yy == v].sum() / ww.sum()) for v in values}

        fit_target("role", targets["role"], rare=False)
        phases = targets["phases"]
        for value in PHASE_VALUES:
            y = phases.map(lambda c, v=value: None if c is None else ("true" if v in c.split(";") else "false"))
            n_pos = int((y == "true").sum())
            fit_target(f"phase_{value}", y, rare=n_pos < self.min_positives,
                       fallback=0 < n_pos < int(getattr(self, "rule_fallback", 0) or 0))
            kind = self.kinds_[f"phase_{value}"]
            if self.phase_rule_gate and value != "delivery" and not kind.startswith(("Dummy", "RulePrior")):
                # the fixed rule as a gate: where it is silent, P(phase) is at most the training rate of
                # the phase among the studies where the rule is silent (shrunk towards the base rate)
                known = y.notna().to_numpy()
                quiet = known & (table[f"rulesays_phase_{value}"].to_numpy() < 0.5)
                base = float((y[known] == "true").mean())
                self.gates_[f"phase_{value}"] = (float((y[quiet] == "true").sum()) + 2 * base) / (int(quiet.sum()) + 2)
        fit_target("boundary_spanner", targets["boundary_spanner"], rare=False,
                   weights=self._source_weights(labels, ids, "boundary_spanner", getattr(self, "bs_source_weights", None)))
        self.thresholds_ = {}
        if getattr(self, "bs_threshold", None) and self.kinds_["boundary_spanner"].startswith(("Calibrated", "Pipeline")):
            y = targets["boundary_spanner"]
            mask = y.notna().to_numpy()
            t = oof_threshold(self._bs_pipeline(), table.loc[mask].reset_index(drop=True),
                              y[mask].astype(str).to_numpy(), criterion=self.bs_threshold,
                              calibration=self.calibration, random_state=self.random_state)
            if t is not None:
                self.thresholds_["boundary_spanner"] = t
        if not any(self.n_train_.values()):
            raise ValueError("no labelled documents: check the labels file and that the text ids match its ids")
        self.classes_ = {k: [str(c) for c in est.classes_] for k, est in self.estimators_.items()}
        return self

    @staticmethod
    def _source_weights(labels: pd.DataFrame, ids, task, weights) -> np.ndarray | None:
        """Per-document weights from the ``<task>_source`` column (None when no weights are asked for)."""
        if not weights:
            return None
        frame = labels.set_index("id") if "id" in labels.columns else labels
        frame = frame[~frame.index.duplicated(keep="last")]
        col = f"{task}_source"
        src = frame[col].reindex(ids).fillna("").astype(str) if col in frame.columns else pd.Series("", index=ids)
        return np.array([float(dict(weights).get(s, 1.0)) for s in src], dtype=float)

    def _uses_tfidf(self, name, rare=False) -> bool:
        rules_only = rare or name in tuple(self.rules_only_tasks or ())
        return self.use_tfidf and not (rules_only and self.use_rules)

    def _rule_columns_for(self, name) -> list[str]:
        """Every rule column, or for a task in ``scoped_rules`` only those of the lexicons that name it."""
        task = "phases" if name.startswith("phase_") else name
        if task not in tuple(getattr(self, "scoped_rules", ()) or ()):
            return list(self.rule_columns_)
        mine = {d["name"] for d in self.lexicon_data_ if task in d.get("tasks", [])}
        keep = []
        for col in self.rule_columns_:
            body = col[len("rule_"):].rsplit("_", 1)[0]
            parts = body.replace("@", "+").split("+")
            if parts[0] in mine:
                keep.append(col)
        return keep or list(self.rule_columns_)

    def _pipeline(self, name, rare=False):
        return make_pipeline(self._rule_columns_for(name), use_tfidf=self._uses_tfidf(name, rare), use_rules=self.use_rules, C=self.C,
                             rule_weight=self.rule_weight, char_ngrams=self.char_ngrams,
                             class_weight=self.class_weight, random_state=self.random_state)

    def _bs_pipeline(self):
        return self._pipeline("boundary_spanner")

    # -- prediction ---------------------------------------------------------------------------------
    def _check(self):
        if not hasattr(self, "estimators_"):
            raise NotFittedError("this ChartingModel is not fitted yet: call fit() or load_model()")

    def predict_proba_table(self, documents: list[Document]) -> pd.DataFrame:
        """Probabilities only (no evidence): columns p_role_*, p_phase_*, p_boundary_spanner."""
        self._check()
        table = add_rule_decisions(featurize(documents, self._get_matcher()).frame)
        with _one_thread():
            return self._proba(table)

    def _proba(self, table: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(index=range(len(table)))
        if len(table) == 0:
            return out
        P = predict_proba(self.estimators_["role"], table)
        classes = self.classes_["role"]
        for v in ROLE_VALUES:
            out[f"p_role_{v}"] = P[:, classes.index(v)] if v in classes else 0.0
        for v in PHASE_VALUES:
            name = f"phase_{v}"
            P = predict_proba(self.estimators_[name], table)
            cl = self.classes_[name]
            out[f"p_phase_{v}"] = P[:, cl.index("true")] if "true" in cl else 0.0
            gate = getattr(self, "gates_", {}).get(name)
            if gate is not None and f"rulesays_{name}" in table.columns:
                silent = table[f"rulesays_{name}"].to_numpy() < 0.5
                out[f"p_phase_{v}"] = np.where(silent, np.minimum(out[f"p_phase_{v}"].to_numpy(), gate),
                                               out[f"p_phase_{v}"].to_numpy())
        P = predict_proba(self.estimators_["boundary_spanner"], table)
        cl = self.classes_["boundary_spanner"]
        out["p_boundary_spanner"] = P[:, cl.index("true")] if "true" in cl else 0.0
        return out

    def _balance(self, name) -> float:
        kind = self.kinds_.get(name, "")
        if kind.startswith("Dummy"):
            return 0.0
        if kind.startswith("Pipeline") and self.class_weight == "balanced":
            return 0.0  # uncalibrated balanced weights already favour rare classes
        if name == "boundary_spanner":
            return float(getattr(self, "bs_balance", self.decision_balance) or 0.0)
        if name.startswith("phase_") and getattr(self, "phase_balance", None) is not None:
            return float(self.phase_balance)
        return float(self.decision_balance or 0.0)

    def _binary_true(self, name, p) -> bool:
        t = getattr(self, "thresholds_", {}).get(name)
        if t is not None:
            return p >= t
        b = self._balance(name)
        prior = min(max(self.priors_.get(name, {}).get("true", 0.5), 1e-3), 1 - 1e-3)
        return p / prior ** b >= (1 - p) / (1 - prior) ** b

    def decide(self, row) -> dict:
        """Labels from one row of probabilities (see ``decision_balance``)."""
        roles = {v: float(row[f"p_role_{v}"]) for v in ROLE_VALUES}
        b = self._balance("role")
        pri = self.priors_.get("role", {})
        role = max(ROLE_VALUES, key=lambda v: roles[v] / max(pri.get(v, 1e-3), 1e-3) ** b if pri.get(v) else -1)
        chosen = [v for v in PHASE_VALUES if self._binary_true(f"phase_{v}", float(row[f"p_phase_{v}"]))]
        if role == "co_creation" and getattr(self, "couple_phases", True) and not {"commissioning", "design"} & set(chosen):
            chosen.append(max(("commissioning", "design"), key=lambda v: float(row[f"p_phase_{v}"])))
        if not chosen:
            chosen = [max(PHASE_VALUES, key=lambda v: float(row[f"p_phase_{v}"]))]
        chosen = [v for v in PHASE_VALUES if v in chosen]
        bs = self._binary_true("boundary_spanner", float(row["p_boundary_spanner"]))
        return {"role": role, "role_confidence": roles[role], "phases": ";".join(chosen),
                "boundary_spanner": "true" if bs else "false"}

    def predict(self, documents: list[Document]) -> list[dict]:
        """One prediction dict per document (``docs/ARCHITECTURE.md``), with evidence sentences."""
        self._check()
        documents = list(documents)
        feats = featurize(documents, self._get_matcher())
        with _one_thread(), shared_analysis():  # one n-gram split per text for all tasks
            probs = self._proba(add_rule_decisions(feats.frame))
        out = []
        for i, doc in enumerate(documents):
            base = _base(doc)
            if not feats.frame.loc[i, "front"].strip() and not feats.sentences[i]:
                base.update(status="error", error=f"{base['id']}: no text to classify (empty title and abstract)")
                out.append(base)
                continue
            row = probs.iloc[i]
            pred = {k: (round(float(v), 4) if isinstance(v, (float, np.floating)) else v)
                    for k, v in self.decide(row).items()}
            base.update(role=pred["role"], role_confidence=pred["role_confidence"])
            for v in ROLE_VALUES:
                base[f"p_role_{v}"] = round(float(row[f"p_role_{v}"]), 4)
            base["phases"] = pred["phases"]
            for v in PHASE_VALUES:
                base[f"p_phase_{v}"] = round(float(row[f"p_phase_{v}"]), 4)
            base["boundary_spanner"] = pred["boundary_spanner"]
            base["p_boundary_spanner"] = round(float(row["p_boundary_spanner"]), 4)
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


def _base(doc: Document) -> dict:
    return {"id": doc.id or doc.source, "source": doc.source, "title": doc.title, "status": "ok", "error": ""}
