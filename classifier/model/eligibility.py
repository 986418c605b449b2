"""``EligibilityModel``: is a study in scope by the codebook's inclusion criteria, and if not, why.

Three layers, each kept as data where it can be:

1. Fixed criteria (``data/eligibility/criteria.yml``): published before 2010 (``pre2010``), not written in
   English (``not_english``), a review, commentary or protocol by its title or by its abstract's own
   statement (``not_empirical``), never mentioning peers nor mental health or substance use (``off_topic``).
   A study failing one is excluded whatever the model says, with ``p_eligible`` 0.
2. A learned model: logistic regression on the counts of the criteria lexicons
   (``data/eligibility/lexicons``: one per exclusion reason, plus what an included study has: peer
   worker titles, employment, mental health, adults, empirical methods) in the title, in the lead (the
   abstract's first sentences and its aim sentences), in the title and abstract, and in the whole text,
   plus how many stated exclusions (``criteria.yml`` ``stated_exclusions``) the title and the lead hold
   (TF-IDF of the title and abstract only if asked: ``use_tfidf``);
   probabilities calibrated (sigmoid). ``p_eligible`` is P(in scope). The regularisation and the
   decision threshold are chosen inside ``fit`` by cross-validation on the training data only: the threshold keeps at least
   ``recall_target`` of the in-scope training studies (out of fold) and excludes as many near-misses
   as that allows.
3. The exclusion reason of a study the model excludes: a logistic model over the reason lexicons'
   counts, trained on the excluded training studies' reasons, plus a fixed bonus for a reason whose
   lexicon matches the title or abstract (so a reason with few or no training examples can still be
   named when its criterion is plainly stated). Its evidence: the sentences matching that reason's
   lexicon, else those that pushed the model most towards exclusion.

scikit-learn conventions: parameters in ``__init__``, fitted attributes end in ``_``; ``X`` is a list of
``Document``. The spaCy matcher is rebuilt from the lexicon data the model carries (never saved).
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from ..document import Document
from ..features.lexicons import load_lexicons
from ..features.rules import LexiconMatcherMixin, RuleMatcher
from ..features.table import featurize, sentence_frame
from ..schema import eligibility_task
from .estimators import make_pipeline, members

# reasons criteria.yml can decide, the first that holds named (an article on another topic is off_topic
# even when it is also a protocol)
FIXED = ("off_topic", "pre2010", "not_english", "not_empirical")
FIXED_COLUMNS = tuple(f"crit_{r}" for r in FIXED)
# no_peer_terms: the text never mentions peers; other_condition_only: another condition is named in the
# title or abstract and no mental health or substance use term is
CRITERIA_COLUMNS = FIXED_COLUMNS + ("crit_no_peer_terms", "crit_other_condition_only")
STATED_COLUMNS = ("title_excluded", "lead_excluded")
LEXICON_BONUS = 0.25   # added to a reason's probability when its lexicon matches title or abstract
_YEAR_PATTERNS = (
    re.compile(r"(?:©|\(c\)|copyright)\s*(?:the authors?\s*)?((?:19|20)\d\d)", re.I),
    re.compile(r"\b(?:published|accepted|received)(?: online)?:?\s+(?:\d{1,2}\s+)?(?:[A-Z][a-z]+\.?\s+)?(?:\d{1,2},?\s+)?((?:19|20)\d\d)\b"),
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def data_dir():
    return resources.files("classifier").joinpath("data/eligibility")


@lru_cache(maxsize=1)
def default_criteria() -> dict:
    return yaml.safe_load(data_dir().joinpath("criteria.yml").read_text("utf-8"))


def default_lexicons() -> list[dict]:
    return [lx.to_dict() for lx in load_lexicons(str(data_dir().joinpath("lexicons")))]


# -- fixed criteria ----------------------------------------------------------------------------------
def publication_year(document: Document) -> tuple[int | None, tuple[str, int, int] | None]:
    """(year, where) from the record's ``year`` field, else from a copyright/published line of a full
    text (``where`` = (section name, start, end) of the sentence that states it); (None, None) if unknown."""
    raw = str(document.meta.get("year") or "").strip()
    m = re.search(r"(?:19|20)\d\d", raw)
    if m:
        return int(m.group(0)), None
    best = None
    for section in document.sections:
        if section.name == "references":
            continue
        for pattern in _YEAR_PATTERNS:
            for hit in pattern.finditer(section.text[:20000]):
                year = int(hit.group(1))
                if best is None or year > best[0]:
                    best = (year, (section.name, hit.start(), hit.end()))
    return (best[0], best[1]) if best else (None, None)


def _front_text(document: Document) -> str:
    front = [s.text for s in document.sections if s.name in ("title", "abstract") and s.text]
    if not any(s.name == "abstract" and s.text.strip() for s in document.sections):
        front.append(" ".join(s.text for s in document.content_sections() if s.name != "title")[:3000])
    return "\n".join(front)


def is_english(document: Document, criteria: dict) -> bool:
    """False when another language's function words outnumber the English ones in title + abstract."""
    lang = criteria.get("language", {})
    english, other = set(lang.get("english", ())), set(lang.get("other", ()))
    words = [w.lower() for w in _WORD.findall(_front_text(document))]
    n_en = sum(w in english for w in words)
    n_other = sum(w in other for w in words)
    return not (n_en + n_other >= int(lang.get("min_words", 12)) and n_other > n_en)


MIN_EVIDENCE_WORDS = 4  # shorter "sentences" are run-in labels ("Background") or fragments


def _rule_scores(infos, lexicons: set[str]) -> np.ndarray:
    return np.array([float(sum(1 for m in i.matches if m.lexicon in lexicons)) for i in infos])


def _class_scores(estimator, frame) -> dict | None:
    """{class: per-sentence contribution towards it} from the linear model(s) behind ``estimator``."""
    pipes = members(estimator)
    if not pipes or len(frame) == 0:
        return None
    out: dict = {}
    for pipe in pipes:
        clf = pipe.named_steps["clf"]
        X = pipe.named_steps["features"].transform(frame)
        coef = np.asarray(clf.coef_)
        classes = [str(c) for c in clf.classes_]
        pos = np.asarray(X @ coef[0]).ravel()
        for c, v in ((classes[1], pos), (classes[0], -pos)):
            out[c] = out.get(c, 0) + v / len(pipes)
    return out


def _pick(infos, scores, k: int = 2, label: str | None = None) -> list[dict]:
    """The ``k`` best-scoring sentences (score > 0) as evidence items, verbatim from their section."""
    out, seen = [], set()
    if scores is None or len(infos) == 0:
        return out
    for i in np.argsort(-np.asarray(scores), kind="stable"):
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


class NotFittedError(RuntimeError):
    pass


class EligibilityModel(LexiconMatcherMixin, ClassifierMixin, BaseEstimator):
    """Predicts ``eligible`` (``"true"``/``"false"``), ``p_eligible`` and ``exclusion_reason``.

    Parameters: ``C`` (inverse regularisation; a tuple = candidates chosen by inner cross-validation),
    ``use_tfidf`` (``False``: the criteria lexicons only, which carry over to near-misses unlike any in
    the training data; ``True``; or ``"auto"``: chosen by inner cross-validation), ``recall_target``
    (share of in-scope training studies the threshold keeps, out of fold), ``inner_folds``,
    ``lexicons`` (list of lexicon dicts; default ``data/eligibility/lexicons``), ``criteria`` (dict;
    default ``data/eligibility/criteria.yml``), ``evidence_k``, ``random_state``.
    """

    def __init__(self, C=(0.3, 1.0, 3.0), use_tfidf=False, recall_target=0.95, inner_folds=5,
                 lexicons=None, criteria=None, evidence_k=2, random_state=0):
        self.C = C
        self.use_tfidf = use_tfidf
        self.recall_target = recall_target
        self.inner_folds = inner_folds
        self.lexicons = lexicons
        self.criteria = criteria
        self.evidence_k = evidence_k
        self.random_state = random_state


    # -- features ------------------------------------------------------------------------------------
    def _criteria_row(self, document: Document, counts: dict) -> dict:
        from ..features.topic import peer_terms

        crit = self.criteria_data_
        year, _ = publication_year(document)
        no_peer = peer_terms(document) == 0
        no_mh = counts.get("rule_mental_health_all", 0.0) == 0.0
        design = crit.get("not_empirical", {})
        stated = bool(design.get("front")) and counts.get(f"rule_{design['front']}_front", 0.0) > 0
        if not stated and design.get("title"):
            stated = counts.get(f"title_{design['title']}", 0.0) > 0
        other_only = (counts.get("rule_other_condition_front", 0.0) > 0
                      and counts.get("rule_mental_health_front", 0.0) == 0)
        return {"crit_other_condition_only": float(other_only), "crit_pre2010": float(year is not None and year < int(crit.get("min_year", 2010))),
                "crit_not_english": float(not is_english(document, crit)),
                "crit_not_empirical": float(stated),
                "crit_off_topic": float(no_peer and no_mh),
                "crit_no_peer_terms": float(no_peer)}

    def _title_counts(self, documents) -> pd.DataFrame:
        """``title_<lexicon>``: log(1 + matches) in the title alone (where a study states its population,
        its design, its setting)."""
        m = self._get_matcher()
        found = m.match_many([d.title or "" for d in documents])
        rows = [{f"title_{n}": 0.0 for n in m.names} for _ in documents]
        for row, matches in zip(rows, found):
            for x in matches:
                row[f"title_{x.lexicon}"] += 1
        frame = pd.DataFrame(rows, columns=[f"title_{n}" for n in m.names], dtype=float)
        return np.log1p(frame)

    def _stated(self) -> dict:
        return dict(self.criteria_data_.get("stated_exclusions") or {})

    def _lead_counts(self, sentences) -> pd.DataFrame:
        """``lead_<lexicon>``: log(1 + matches) in the study's lead, the abstract's first sentences and
        those stating its aim (a full text without an abstract: its opening body sentences)."""
        names = self._get_matcher().names
        stated = self._stated()
        k, aim = int(stated.get("lead_sentences", 2)), stated.get("aim")
        rows = []
        for infos in sentences:
            row = dict.fromkeys((f"lead_{n}" for n in names), 0.0)
            pool = [i for i in infos if i.section == "abstract"] or [i for i in infos if i.section != "title"][:30]
            for j, info in enumerate(pool):
                found = [m.lexicon for m in info.matches]
                if j < k or (aim and aim in found):
                    for name in found:
                        row[f"lead_{name}"] += 1
            rows.append(row)
        return np.log1p(pd.DataFrame(rows, columns=[f"lead_{n}" for n in names], dtype=float))

    def _stated_exclusions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``title_excluded``, ``lead_excluded``: how many of the criteria's stated-exclusion lexicons the
        title, the lead, match (one shared weight for reasons too rare to earn their own)."""
        stated = self._stated()
        names = [n for n in stated.get("lexicons", ()) if n in self._get_matcher().names]
        unless = set(stated.get("unless_mental_health", ()))
        out = {}
        for where in ("title", "lead"):
            mh = frame.get(f"{where}_mental_health", pd.Series(0.0, index=frame.index)) > 0
            n = pd.Series(0.0, index=frame.index)
            for name in names:
                hit = frame[f"{where}_{name}"] > 0
                n += (hit & ~mh) if name in unless else hit
            out[f"{where}_excluded"] = n
        return pd.DataFrame(out, index=frame.index, dtype=float)

    def _table(self, documents):
        documents = list(documents)
        feats = featurize(documents, self._get_matcher())
        frame = pd.concat([feats.frame, self._title_counts(documents).set_index(feats.frame.index),
                           self._lead_counts(feats.sentences).set_index(feats.frame.index)], axis=1)
        frame = pd.concat([frame, self._stated_exclusions(frame)], axis=1)
        crit = [self._criteria_row(d, frame.iloc[i].to_dict()) for i, d in enumerate(documents)]
        crit = pd.DataFrame(crit, columns=list(CRITERIA_COLUMNS), index=frame.index, dtype=float)
        return pd.concat([frame, crit], axis=1), feats.sentences

    def _rule_cols(self) -> list[str]:
        names = self._get_matcher().names
        return ([f"rule_{n}_{w}" for w in ("front", "all") for n in names] + [f"title_{n}" for n in names]
                + [f"lead_{n}" for n in names] + list(STATED_COLUMNS)
                + ["crit_no_peer_terms", "crit_other_condition_only"])

    def _reason_cols(self) -> list[str]:
        return self._rule_cols()

    # -- training ------------------------------------------------------------------------------------
    def _pipeline(self, C, use_tfidf):
        return make_pipeline(self._rule_cols(), use_tfidf=use_tfidf, use_rules=True, C=C,
                             class_weight="balanced", random_state=self.random_state)

    def _calibrated(self, C, use_tfidf, y):
        folds = int(min(3, np.bincount(y).min()))
        pipe = self._pipeline(C, use_tfidf)
        if folds < 2:
            return pipe
        return CalibratedClassifierCV(pipe, method="sigmoid", ensemble=False,
                                      cv=StratifiedKFold(folds, shuffle=True, random_state=self.random_state))

    def _oof(self, C, use_tfidf, X, y) -> np.ndarray:
        k = int(min(self.inner_folds, np.bincount(y).min()))
        oof = np.zeros(len(y))
        for train, test in StratifiedKFold(k, shuffle=True, random_state=self.random_state).split(X, y):
            est = self._calibrated(C, use_tfidf, y[train]).fit(X.iloc[train], y[train])
            oof[test] = est.predict_proba(X.iloc[test])[:, 1]
        return oof

    def _threshold(self, p_true: np.ndarray) -> float:
        """The highest threshold keeping ``recall_target`` of the in-scope studies (p >= t is eligible)."""
        p = np.sort(p_true)
        misses = int(np.floor((1.0 - float(self.recall_target)) * len(p) + 1e-9))
        return float(p[min(misses, len(p) - 1)]) if len(p) else 0.5

    def fit(self, X, y, reasons=None):
        """``X``: Documents; ``y``: ``"true"``/``"false"`` (or booleans) per document, None = unknown
        (skipped); ``reasons``: the exclusion reason of each excluded document ("" or None if not known)."""
        docs = list(X)
        y = [None if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""
             else str(v).strip().lower() in ("true", "1", "yes") for v in y]
        reasons = [None] * len(docs) if reasons is None else list(reasons)
        keep = [i for i, v in enumerate(y) if v is not None]
        docs = [docs[i] for i in keep]
        yy = np.array([int(y[i]) for i in keep])
        rr = [reasons[i] for i in keep]
        if len(set(yy.tolist())) < 2:
            raise ValueError("eligibility needs in-scope and out-of-scope studies among the labelled ones")
        self.lexicon_data_ = [dict(d) for d in (self.lexicons if self.lexicons is not None else default_lexicons())]
        self.criteria_data_ = dict(self.criteria if self.criteria is not None else default_criteria())
        self.__dict__.pop("_matcher", None)
        task = eligibility_task()
        self.reasons_ = list(task.reasons)
        table, _ = self._table(docs)
        # the model learns from the studies no fixed criterion already excludes
        fixed = table[list(FIXED_COLUMNS)].to_numpy().max(axis=1) > 0
        learn = ~fixed
        Xl, yl = table.loc[learn].reset_index(drop=True), yy[learn]
        if len(set(yl.tolist())) < 2:
            raise ValueError("eligibility needs in-scope and out-of-scope studies beyond those the fixed criteria exclude")
        Cs = tuple(self.C) if isinstance(self.C, (tuple, list)) else (float(self.C),)
        tfidfs = (False, True) if self.use_tfidf == "auto" else (bool(self.use_tfidf),)
        grid = [(c, t) for t in tfidfs for c in Cs]
        self.selection_ = []
        best = None
        for c, t in grid:
            oof = self._oof(c, t, Xl, yl)
            thr = self._threshold(oof[yl == 1])
            caught = float(np.mean(oof[yl == 0] < thr))
            # ties: the smaller model (rules before TF-IDF, stronger regularisation)
            score = (round(caught, 6),)
            self.selection_.append({"C": c, "use_tfidf": t, "false_recall_oof": round(caught, 4),
                                    "threshold": round(thr, 4)})
            if best is None or score > best[0]:
                best = (score, c, t, thr)
        _, self.C_, self.use_tfidf_, self.threshold_ = best
        self.estimator_ = self._calibrated(self.C_, self.use_tfidf_, yl).fit(Xl, yl)
        self.classes_ = np.array(["false", "true"])
        # reasons: trained on the excluded studies with a reason among the learnable ones
        out = [(i, r) for i, (v, r) in enumerate(zip(yy, rr)) if v == 0 and r and r in self.reasons_
               and r not in ("pre2010", "not_english")]
        self.reason_model_ = None
        self.reason_columns_ = self._reason_cols()
        if len({r for _, r in out}) >= 2:
            Xr = table.iloc[[i for i, _ in out]][self.reason_columns_].to_numpy(dtype=float)
            self.reason_model_ = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000,
                                                    random_state=self.random_state).fit(Xr, [r for _, r in out])
        elif out:
            self.reason_default_ = out[0][1]
        self.n_train_ = {"true": int((yy == 1).sum()), "false": int((yy == 0).sum()),
                         "fixed_criteria": int(fixed.sum())}
        return self

    # -- prediction ----------------------------------------------------------------------------------
    def _check(self):
        if not hasattr(self, "estimator_"):
            raise NotFittedError("this EligibilityModel is not fitted yet: call fit() or load a model")

    def _proba_table(self, table) -> np.ndarray:
        p = self.estimator_.predict_proba(table)[:, list(self.estimator_.classes_).index(1)]
        fixed = table[list(FIXED_COLUMNS)].to_numpy().max(axis=1) > 0
        return np.where(fixed, 0.0, p)

    def predict_proba(self, X) -> np.ndarray:
        """Columns ``classes_`` = ("false", "true")."""
        self._check()
        table, _ = self._table(list(X))
        if len(table) == 0:
            return np.zeros((0, 2))
        p = self._proba_table(table)
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        return np.where(self.predict_proba(X)[:, 1] >= self.threshold_, "true", "false")

    def _reason(self, row: pd.Series) -> str:
        if row["crit_off_topic"] > 0 or row["crit_no_peer_terms"] > 0:
            return "off_topic"   # never mentions peers: whatever else it is, it is not on the topic
        for name in FIXED:
            if row[f"crit_{name}"] > 0:
                return name
        scores = dict.fromkeys(self.reasons_, 0.0)
        if self.reason_model_ is not None:
            P = self.reason_model_.predict_proba(row[self.reason_columns_].to_numpy(dtype=float)[None, :])[0]
            for cls, p in zip(self.reason_model_.classes_, P):
                scores[str(cls)] = float(p)
        elif getattr(self, "reason_default_", None):
            scores[self.reason_default_] = 0.5
        names = set(self._get_matcher().names)
        for reason in self.reasons_:
            if reason in names and row.get(f"rule_{reason}_front", 0.0) > 0:
                scores[reason] += LEXICON_BONUS
        scores = {r: s for r, s in scores.items() if r not in ("pre2010", "not_english")}
        best = max(scores, key=lambda r: scores[r])
        return best if scores[best] > 0 else "not_peer_worker"

    def predict_rows(self, documents) -> list[dict]:
        """Per document: ``eligible``, ``p_eligible``, ``exclusion_reason`` ("" when eligible) and
        ``evidence`` (sentences for the decision: the reason's, or what makes the study in scope)."""
        self._check()
        documents = list(documents)
        if not documents:
            return []
        table, sentences = self._table(documents)
        p = self._proba_table(table)
        out = []
        for i, doc in enumerate(documents):
            row = table.iloc[i]
            eligible = bool(p[i] >= self.threshold_)
            reason = "" if eligible else self._reason(row)
            out.append({"eligible": "true" if eligible else "false", "p_eligible": round(float(p[i]), 4),
                        "exclusion_reason": reason,
                        "evidence": self._evidence(doc, sentences[i], eligible, reason)})
        return out

    def _evidence(self, doc, infos, eligible: bool, reason: str) -> list[dict]:
        k = self.evidence_k
        if reason == "pre2010":
            _, where = publication_year(doc)
            if where is not None:
                name, start, end = where
                for info in infos:
                    s = info.sentence
                    if info.section == name and s.start <= start and end <= s.end:
                        return [{"text": s.text, "section": name, "start": int(s.start), "end": int(s.end),
                                 "score": 1.0, "label": reason}]
            return []
        if not infos:
            return []
        if reason and reason in self._get_matcher().names:
            items = _pick(infos, _rule_scores(infos, {reason}), k, label=reason)
            if items:
                return items
        if reason == "not_english":
            return [dict(i, label=reason) for i in _pick(infos, np.arange(len(infos), 0, -1, dtype=float), 1)]
        m = self._get_matcher()
        frame = sentence_frame(infos, m.names)
        for c in (*CRITERIA_COLUMNS, *STATED_COLUMNS, *(f"{w}_{n}" for w in ("title", "lead") for n in m.names)):
            frame[c] = 0.0
        scores = _class_scores(self.estimator_, frame)
        if scores is None:
            return []
        value = 1 if eligible else 0
        items = _pick(infos, scores.get(value, scores.get(str(value))), k)
        return [dict(i, label=reason or "eligible") for i in items]

    # -- summaries -----------------------------------------------------------------------------------
    def describe(self) -> dict:
        """What the model chose while fitting (for the model card)."""
        self._check()
        return {"C": self.C_, "use_tfidf": bool(self.use_tfidf_), "threshold": round(float(self.threshold_), 4),
                "recall_target": self.recall_target, "n_train": dict(self.n_train_),
                "reasons_learned": [] if self.reason_model_ is None else [str(c) for c in self.reason_model_.classes_]}


def labels_for(documents, labels: pd.DataFrame) -> tuple[list, list]:
    """``(y, reasons)`` aligned to ``documents`` from a labels frame (``read_labels``: index id, columns
    ``eligible`` and ``exclusion_reason``); unknown -> None."""
    frame = labels.set_index("id") if "id" in labels.columns else labels
    frame = frame[~frame.index.duplicated(keep="last")]
    ids = [d.id or d.source for d in documents]
    y = frame["eligible"].reindex(ids) if "eligible" in frame.columns else pd.Series([None] * len(ids), index=ids)
    r = frame["exclusion_reason"].reindex(ids) if "exclusion_reason" in frame.columns else pd.Series([None] * len(ids), index=ids)
    clean = lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "" else str(v).strip()
    return [clean(v) for v in y], [clean(v) for v in r]


def prisma_counts(rows) -> dict:
    """PRISMA-style counts for a batch: {"assessed": n, "eligible": n, "excluded": n, "reasons": {reason: n}}
    (rows: prediction rows or dicts with ``status``, ``eligible`` and ``exclusion_reason``), reasons in
    schema order, then any others."""
    order = list(eligibility_task().reasons)
    done = [r for r in rows if r.get("status", "ok") == "ok" and str(r.get("eligible", "")).lower() in ("true", "false")]
    excluded = [r for r in done if str(r.get("eligible")).lower() == "false"]
    counts: dict[str, int] = {}
    for r in excluded:
        key = str(r.get("exclusion_reason") or "unspecified")
        counts[key] = counts.get(key, 0) + 1
    ordered = {k: counts[k] for k in order if k in counts}
    ordered.update({k: v for k, v in counts.items() if k not in ordered})
    return {"assessed": len(done), "eligible": len(done) - len(excluded), "excluded": len(excluded), "reasons": ordered}


def merge_into(preds: list[dict], rows: list[dict]) -> list[dict]:
    """Put eligibility rows (``EligibilityModel.predict_rows``) into charting prediction dicts: columns
    ``eligible``, ``p_eligible``, ``exclusion_reason`` and ``evidence["eligible"]``. The charting labels of
    an excluded study stay, but none of them is ``confident``: a ``<task>_status`` of ``confident``
    becomes ``check``."""
    from ..schema import charting_tasks

    for pred, row in zip(preds, rows):
        if pred.get("status", "ok") != "ok":
            continue
        pred["eligible"] = row["eligible"]
        pred["p_eligible"] = row["p_eligible"]
        pred["exclusion_reason"] = row["exclusion_reason"]
        evidence = pred.get("evidence")
        if not isinstance(evidence, dict):
            evidence = pred["evidence"] = {}
        evidence["eligible"] = row["evidence"]
        if row["eligible"] == "false":
            for task in charting_tasks():
                if pred.get(f"{task}_status") == "confident":
                    pred[f"{task}_status"] = "check"
    return preds


def predict_documents(model, documents, **kwargs) -> list[dict]:
    """``model.predict(documents, **kwargs)`` with the model's eligibility decision merged in (a model
    trained without eligibility labels has no ``eligibility_``: its predictions are returned as they are)."""
    documents = list(documents)
    preds = model.predict(documents, **kwargs)
    elig = getattr(model, "eligibility_", None)
    if elig is not None and preds:
        ok = [i for i, p in enumerate(preds) if p.get("status", "ok") == "ok"]
        rows = elig.predict_rows([documents[i] for i in ok])
        merge_into([preds[i] for i in ok], rows)
    return preds
