"""Evidence: the sentences that let a reviewer check each predicted label, ranked by the codebook.

``EvidenceRanker.explain(document, prediction)`` reads a Document's content sections (never references
or back matter) and a prediction dict (labels and probabilities, whatever model made them) and returns
the evidence dict of the predictions JSONL::

    {"evidence": {"role": [item, ...], "phases": [item, ...], "boundary_spanner": [item, ...]},
     "evidence_notes": {task: text}}       # (both keys of a prediction dict)

An item is ``{"text", "section", "start", "end", "score", "kind", "label"}`` (+ ``"truncated": true`` for
the last sentence of an abstract the source cut off); ``text`` is verbatim ``section.text[start:end]``.
``kind`` is ``support`` (a sentence that shows the predicted label), ``candidate`` (the closest a
sentence came, where none shows it: always so for a ``false`` boundary-spanner label, whose two best
candidates are listed) or ``counter`` (the best sentence for the runner-up role). Each predicted phase
gets its own sentence, labelled with that phase; the top role sentence is reused for a phase only when
nothing else shows it. ``evidence_notes`` says, per task, where no explicit language was found.

Scores come from cues kept as data (``data/evidence.yml``), not from the model's weights: a sentence
scores for a label when a peer worker is the actor (a peer term before the cue, or "by <peer>") of a cue
of that label; cue words in a sentence not about peers score a tenth; methods and analysis sentences
rank last for role and phases. The score is graded (cue strength, actor, context, mentions of peers),
so the best candidate of a negative shows how close the text came.
"""
from __future__ import annotations

import threading

from ..document import Document
from ..features.cues import ABOUT_PEERS, MIN_WORDS, CueSentence, cue_scorer
from ..schema import tasks

LABEL_WORDS = {"pre_determined": "pre-determined role", "peer_support": "peer-support role",
               "co_creation": "co-creation", "commissioning": "commissioning", "design": "design",
               "delivery": "delivery", "assessment": "assessment", "true": "boundary-spanner"}


class EvidenceRanker:
    """Codebook-cue evidence for predictions (see the module text). ``k`` supporting sentences per task."""

    def __init__(self, k: int = 3, scorer=None):
        self.k = int(k)
        self.scorer = scorer or cue_scorer()

    def sentences(self, document: Document) -> list[CueSentence]:
        return [s for s in self.scorer.sentences(document) if len(s.text.split()) >= MIN_WORDS]

    def score(self, sent: CueSentence, task: str, value: str) -> tuple[float, float]:
        return self.scorer.score(sent, task, value)

    # -- the evidence dict ----------------------------------------------------------------------------
    def explain(self, document: Document, prediction: dict) -> dict:
        """``{"evidence": ..., "evidence_notes": ...}`` for one prediction dict (see the module text)."""
        sents = self.sentences(document)
        out: dict = {"role": [], "phases": [], "boundary_spanner": []}
        notes: dict = {}
        if not sents:
            return {"evidence": out, "evidence_notes": notes}
        role = prediction.get("role")
        used_role = None
        if role:
            items, note = self._support(sents, "role", role)
            out["role"] = items
            if note:
                notes["role"] = note
            used_role = _key(items[0]) if items else None
            counter = self._counter(sents, prediction, {_key(i) for i in items})
            if counter:
                out["role"].append(counter)
        phases = [p for p in str(prediction.get("phases") or "").split(";") if p]
        phases.sort(key=lambda v: -float(prediction.get(f"p_phase_{v}", 0) or 0))
        out["phases"], phase_notes = self._phases(sents, phases, used_role)
        if phase_notes:
            notes["phases"] = "; ".join(phase_notes)
        bs = prediction.get("boundary_spanner")
        if bs == "true":
            items, note = self._support(sents, "boundary_spanner", "true")
            out["boundary_spanner"] = items
            if note:
                notes["boundary_spanner"] = note
        elif bs == "false":
            ranked = [(s, sc) for s, sc, _ in self._ranked(sents, "boundary_spanner", "true")][:2]
            note = "no explicit boundary-spanner language found"
            if sents and all(s.section in ("title", "abstract") for s in sents):
                note += " in the title and abstract; the full text may have it"
            if not ranked:   # no such words at all: what the text says the peers do, for a quick check
                ranked = [(s, 0.0) for s in self._peer_sentences(sents)[:2]]
                note += " (no sentence uses such words; the sentences about peer workers are shown)"
            out["boundary_spanner"] = [self._item(s, sc, "candidate") for s, sc in ranked]
            notes["boundary_spanner"] = note
        return {"evidence": out, "evidence_notes": notes}

    def _ranked(self, sents, task, value):
        """[(sentence, score, actor)] best first; methods sentences last for role and phases."""
        scored = [(s, *self.score(s, task, value)) for s in sents]
        scored = [x for x in scored if x[1] > 0]
        last = task != "boundary_spanner"
        scored.sort(key=lambda x: (last and x[0].methods and not (task == "role" and value == "pre_determined"), -x[1]))
        return scored

    def _support(self, sents, task, value) -> tuple[list[dict], str]:
        ranked = self._ranked(sents, task, value)
        about = [x for x in ranked if x[2] >= ABOUT_PEERS]
        items = [self._item(s, sc, "support", value if task == "role" else None) for s, sc, _ in about[: self.k]]
        note = ""
        if not items:
            word = LABEL_WORDS.get(value, value)
            rest = ranked[:2] if ranked else [(s, 0.02 * min(len(s.actors), 3), 0) for s in self._peer_sentences(sents)[:2]]
            items = [self._item(s, sc, "candidate", value if task == "role" else None) for s, sc, _ in rest]
            note = (f"no explicit {word} language about peer workers found"
                    + ("; closest sentences shown" if items else ""))
        return items, note

    def _peer_sentences(self, sents):
        peers = [s for s in sents if s.actors and not s.methods]
        return sorted(peers, key=lambda s: -min(len(s.actors), 3)) or [s for s in sents if s.actors]

    def _counter(self, sents, prediction, taken) -> dict | None:
        """The best sentence for the runner-up role, if one is about peers and shows that role."""
        role = tasks()["role"]
        probs = {v: float(prediction.get(role.prob_column(v), 0) or 0) for v in role.values}
        others = sorted((v for v in role.values if v != prediction.get("role")), key=lambda v: -probs[v])
        if not others:
            return None
        runner = others[0]
        for s, sc, actor in self._ranked(sents, "role", runner):
            if actor >= ABOUT_PEERS and sc >= 0.5 and _key_s(s) not in taken and not s.methods:
                return self._item(s, sc, "counter", runner)
        return None

    def _phases(self, sents, phases, used_role) -> tuple[list[dict], list[str]]:
        items, notes, taken = [], [], set()
        for v in phases:
            ranked = [x for x in self._ranked(sents, "phases", v) if x[2] >= ABOUT_PEERS]
            fresh = [x for x in ranked if _key_s(x[0]) not in taken and _key_s(x[0]) != used_role]
            pick = (fresh or [x for x in ranked if _key_s(x[0]) not in taken] or ranked)[:1]
            if pick:
                s, sc, _ = pick[0]
                items.append(self._item(s, sc, "support", v))
                taken.add(_key_s(s))
                continue
            notes.append(f"no explicit {LABEL_WORDS[v]} language about peer workers found")
            # the closest: a sentence with the phase's words, else one about peers, else the first sentence
            near = [x[0] for x in self._ranked(sents, "phases", v)]
            peers = self._peer_sentences(sents)
            cands = ([s for s in near + peers if _key_s(s) not in taken and _key_s(s) != used_role]
                     or near + peers or sents)
            c = cands[0]
            items.append(self._item(c, round(self.score(c, "phases", v)[0], 4), "candidate", v))
            taken.add(_key_s(c))
        # fill up to k with the next best sentences of the predicted phases, most probable first
        for v in phases:
            if len(items) >= self.k:
                break
            for s, sc, _ in self._ranked(sents, "phases", v):
                if len(items) >= self.k:
                    break
                if _key_s(s) not in taken and self._actor_ok(s, "phases", v):
                    items.append(self._item(s, sc, "support", v))
                    taken.add(_key_s(s))
        return items, notes

    def _actor_ok(self, s, task, value) -> bool:
        return self.score(s, task, value)[1] >= ABOUT_PEERS

    @staticmethod
    def _item(s: CueSentence, score: float, kind: str, label: str | None = None) -> dict:
        item = {"text": s.text, "section": s.section, "start": int(s.start), "end": int(s.end),
                "score": round(float(score), 4), "kind": kind}
        if label:
            item["label"] = label
        if s.truncated:
            item["truncated"] = True
        return item


def _key(item: dict):
    return (item["section"], item["start"])


def _key_s(s: CueSentence):
    return s.key


_shared: dict = {}
_shared_lock = threading.Lock()


def ranker(k: int = 3) -> EvidenceRanker:
    """The packaged ranker (data built once per process and ``k``)."""
    with _shared_lock:
        if k not in _shared:
            _shared[k] = EvidenceRanker(k)
        return _shared[k]
