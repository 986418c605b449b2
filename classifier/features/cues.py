"""Codebook cues per sentence: how plainly a sentence shows each label, with peer workers as the actor.

``CueScorer`` reads ``data/evidence.yml`` (cue groups with weights per label, peer job titles, methods
language, phrases that are not cues, structured-abstract contexts) and ``data/topic.yml`` (peer terms).
``sentences(document)`` returns a document's content sentences (never references or back matter) with
their actors, cue hits, methods flag and context; ``score(sentence, task, value)`` grades one sentence
for one label: a cue counts fully when a peer term comes before it (or "by <peer>" after it), less
when the peer is named only after it, a tenth in a sentence that does not mention peers; methods and
analysis sentences, and sentences under a Methods or Background label, are discounted for role and
phases; repeating the title's words (this study, not peer work in general) and mentioning peers add a
little. ``best_scores(document)`` is the best sentence score per label: a graded, per-document measure
of how close the text comes to explicit language (a feature candidate for the models; the evidence
ranker, ``model/evidence.py``, builds the evidence sentences from the same scores).
"""
from __future__ import annotations

import bisect
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..document import Document
from .lexicons import Lexicon, load_lexicons, parse_lexicon
from .rules import RuleMatcher

DATA = Path(__file__).resolve().parents[1] / "data"
EVIDENCE_FILE = DATA / "evidence.yml"
TOPIC_FILE = DATA / "topic.yml"

MIN_WORDS = 4            # shorter "sentences" are headings or fragments: never evidence
ABOUT_PEERS = 0.6        # actor factor from which a sentence counts as being about peer workers
OFF_TOPIC = 0.1          # cue words in a sentence that does not mention peers
METHODS_FACTOR = 0.25    # methods/analysis sentences (role and phases)
CONTEXT = {"methods": 0.7, "background": 0.85}
# bonus for repeating the title's words: among sentences that show a label, the one about this study
# (rather than peer work in general); not for boundary spanning, whose language is rarely in a title
SALIENCE = {"role": 1.0, "phases": 2.0, "boundary_spanner": 0.0}


def cue_labels() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(task, values a cue can support) for the charting tasks of ``data/schema.yml`` (a yes/no task: true)."""
    from ..schema import tasks

    return tuple((t.name, ("true",) if t.kind == "binary" else t.values)
                 for t in tasks().values() if t.name in ("role", "phases", "boundary_spanner"))


class EvidenceDataError(Exception):
    """``data/evidence.yml`` cannot be used (one line naming the file)."""


@dataclass
class CueSentence:
    section: str
    start: int
    end: int
    text: str
    actors: list[tuple[int, int]] = field(default_factory=list)   # char spans (section offsets)
    sides: list[tuple[int, int]] = field(default_factory=list)    # people served or services (boundary)
    cues: dict = field(default_factory=dict)     # (task, value) -> [(start, end, weight)]
    methods: bool = False
    context: str | None = None
    continues: bool = False                      # starts with "They ..." after a sentence about peers
    truncated: bool = False                      # the last sentence of an abstract the source cut off
    salience: float = 0.0                        # share of the title's content words it repeats

    @property
    def key(self):
        return (self.section, self.start)


def _as_terms(raw, origin: str) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(t, (str, int, float)) for t in raw):
        raise EvidenceDataError(f"{origin}: expected a list of terms")
    return [" ".join(str(t).split()) for t in raw if str(t).strip()]


class CueScorer:
    """Cue scores of sentences (see the module text); built once per process by ``cue_scorer()``."""

    def __init__(self, path: str | Path = EVIDENCE_FILE, topic_path: str | Path = TOPIC_FILE):
        self.path = Path(path)
        try:
            data = yaml.safe_load(self.path.read_text("utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise EvidenceDataError(f"{self.path}: cannot read ({str(exc).splitlines()[0]})") from None
        origin = str(self.path)
        topic = parse_lexicon(Path(topic_path).read_text("utf-8"), str(topic_path))
        actors = data.get("actors") or {}
        lexicons = [Lexicon("actor", tuple(topic.terms) + tuple(_as_terms(actors.get("terms"), origin + " actors")),
                            tuple(topic.patterns) + tuple(actors.get("patterns") or ()))]
        methods = data.get("methods") or {}
        lexicons.append(Lexicon("methods", tuple(_as_terms(methods.get("terms"), origin + " methods")),
                                tuple(methods.get("patterns") or ())))
        lexicons.append(Lexicon("background", tuple(_as_terms((data.get("background_phrases") or {}).get("terms"),
                                                              origin + " background_phrases"))))
        not_cues = tuple(_as_terms((data.get("not_cues") or {}).get("terms"), origin))   # every cue's not_in
        # and a task's cues do not count inside the not_in phrases of the codebook lexicons that inform
        # that task alone (data/lexicons: "self-advocacy" is no boundary language, for the detector or
        # the evidence)
        not_in_task: dict[str, tuple[str, ...]] = {}
        for lx in load_lexicons():
            if len(lx.tasks) == 1:
                not_in_task[lx.tasks[0]] = not_in_task.get(lx.tasks[0], ()) + lx.not_in
        sides = data.get("boundary_sides") or {}
        lexicons.append(Lexicon("side", tuple(_as_terms(sides.get("terms"), origin + " boundary_sides"))))
        self.side_factor = float(sides.get("factor", 1.0))
        self.weights: dict[str, tuple[str, str, float]] = {}
        cues = data.get("cues") or {}
        for task in ("role", "phases", "boundary_spanner"):
            for value, groups in (cues.get(task) or {}).items():
                for i, group in enumerate(groups or []):
                    name = f"cue|{task}|{value}|{i}"
                    where = f"{origin} cues/{task}/{value}[{i}]"
                    terms = _as_terms(group.get("terms"), where)
                    patterns = tuple(group.get("patterns") or ())
                    if not terms and not patterns:
                        raise EvidenceDataError(f"{where}: no terms")
                    self.weights[name] = (task, str(value), float(group.get("weight", 1.0)))
                    lexicons.append(Lexicon(name, tuple(terms), patterns,
                                            not_in=tuple(dict.fromkeys(not_cues + not_in_task.get(task, ())))))
        missing = [f"{t}/{v}" for t, vs in cue_labels() for v in vs if not any(w[:2] == (t, v) for w in self.weights.values())]
        if missing:
            raise EvidenceDataError(f"{origin}: no cues for {', '.join(missing)}")
        self.continuations = tuple(t.lower() for t in _as_terms(data.get("continuations"), origin))
        ctx = data.get("contexts") or {}
        self.contexts = {str(h).lower(): kind for kind, heads in ctx.items() for h in _as_terms(heads, origin)}
        self.actor_words = [t.lower() for t in _as_terms(actors.get("terms"), origin)]
        self.matcher = RuleMatcher(lexicons)
        self._lock = threading.Lock()

    # -- reading a document ---------------------------------------------------------------------------
    def sentences(self, document: Document) -> list[CueSentence]:
        """The document's content sentences with their actors, cues, methods flag and context."""
        from ..extract.sentences import section_sentences

        sections = [s for s in document.content_sections() if s.text.strip()]
        with self._lock:  # the spaCy matchers are built once and shared
            found = self.matcher.match_many([s.text for s in sections])
        abbrevs = _abbreviations(" ".join(s.text for s in sections), self.actor_words)
        truncated = bool(document.meta.get("truncated"))
        out: list[CueSentence] = []
        for section, matches in zip(sections, found):
            sents = [s for s in section_sentences(section) if s.end > s.start]
            context = {"methods": "methods", "introduction": "background"}.get(section.name)
            prev_end = 0
            mine = []
            for s in sents:
                context = self._context(section.text[prev_end:s.start], context)
                prev_end = s.end
                mine.append(CueSentence(section.name, s.start, s.end, s.text, context=context))
            if truncated and section.name == "abstract" and mine:
                mine[-1].truncated = True
            _assign(mine, matches, self.weights, abbrevs, section.text)
            out += mine
        title = _content(document.title)
        for s in out:
            if title and s.section != "title":
                s.salience = len(_content(s.text) & title) / len(title)
        for prev, cur in zip(out, out[1:]):
            first = cur.text.lower()
            cur.continues = bool(prev.actors) and not cur.actors and any(
                first.startswith(c + " ") for c in self.continuations)
        return out

    def _context(self, gap: str, current):
        """The structured-abstract label between two sentences (cut off the next one) sets the context."""
        head = " ".join(gap.split()).strip(" :.\u2013\u2014-").lower()
        if not head or len(head) > 60:
            return current
        return self.contexts.get(head)

    # -- scoring --------------------------------------------------------------------------------------
    def score(self, sent: CueSentence, task: str, value: str) -> tuple[float, float]:
        """(score, actor factor of its best cue) of one sentence for one label; (0, 0) without a cue."""
        hits = sent.cues.get((task, value)) or []
        if not hits:
            return 0.0, 0.0
        side = task == "boundary_spanner"   # a position between two sides (``boundary_sides``)
        parts = []
        for a, b, w in hits:
            actor = self._actor(sent, a, b)
            between = 1.0 if not side or self._side(sent, a, b) else self.side_factor
            parts.append((w * actor * between, actor))
        parts.sort(reverse=True)
        best, actor = parts[0]
        total = best + 0.25 * sum(p for p, _ in parts[1:4])
        if task != "boundary_spanner":
            total *= CONTEXT.get(sent.context, 1.0)
            if sent.methods and not (task == "role" and value == "pre_determined" and best >= 1.0 * ABOUT_PEERS):
                total *= METHODS_FACTOR
        elif sent.methods:
            total *= 0.5
        total += 0.02 * min(len(sent.actors), 3)    # more about peers: a little higher (and fewer ties)
        total += 0.01 * (sent.section in ("title", "abstract", "results", "conclusion"))
        total += SALIENCE[task] * sent.salience * (actor >= ABOUT_PEERS)   # about this study, not peers in general
        return total, actor

    @staticmethod
    def _side(sent: CueSentence, a: int, b: int) -> bool:
        """The sentence names the people served or a service besides the cue at [a, b)."""
        return any(y <= a or x >= b for x, y in sent.sides)

    @staticmethod
    def _actor(sent: CueSentence, a: int, b: int) -> float:
        """How plainly the peer worker is the actor of the cue at [a, b)."""
        before = after = own = False
        for x, y in sent.actors:
            if x <= a and y >= b or a <= x and b >= y:
                own = True
            elif y <= a:
                before = True
            else:
                after = True
        if before:
            return 1.0
        if after and re.search(r"\bby\s+(?:\w+\s+){0,2}$", sent.text[: max(0, _first_after(sent, a) - sent.start)]):
            return 1.0   # "delivered by trained peer specialists"
        if own:
            return 0.8   # the cue names the peer ("peer navigators", "peer support")
        if after:
            return 0.7
        if sent.continues:
            return 0.6
        return OFF_TOPIC

    def best_scores(self, document: Document) -> dict[str, float]:
        """``{"<task>:<value>": best sentence score}`` over the document: a graded measure of how
        plainly the text shows each label (the evidence of a negative comes this close)."""
        sents = [s for s in self.sentences(document) if _words(s.text) >= MIN_WORDS]
        out = {}
        for task, values in cue_labels():
            for v in values:
                out[f"{task}:{v}"] = round(max((self.score(s, task, v)[0] for s in sents), default=0.0), 4)
        return out

def _words(text: str) -> int:
    return len(text.split())


_WORD = re.compile(r"[a-z][a-z-]{2,}")
_STOP = frozenset("the and for with from that this these their study among into between within about using "
                  "based through role roles".split())


def _content(text: str) -> set[str]:
    return {w for w in _WORD.findall(str(text).lower()) if w not in _STOP}


def _first_after(sent: CueSentence, a: int) -> int:
    return min((x for x, _ in sent.actors if x >= a), default=sent.end)


_ABBREV = re.compile(r"\(([A-Z][A-Za-z]{1,7}?)s?\)")


def _abbreviations(text: str, actor_words) -> list[re.Pattern]:
    """Abbreviations the text defines for a peer title: "peer support workers (PSWs)" -> PSW(s)."""
    out = []
    for m in _ABBREV.finditer(text):
        abbr = m.group(1)
        if sum(c.isupper() for c in abbr) < 2:
            continue
        before = text[max(0, m.start() - 60):m.start()].lower()
        if "peer" in before or "lived experience" in before or any(w in before for w in actor_words):
            out.append(re.compile(rf"\b{re.escape(abbr)}s?\b"))
    return out


def _assign(sents: list[CueSentence], matches, weights, abbrevs, text: str) -> None:
    """Put each match (section offsets) into the sentence that holds it."""
    if not sents:
        return
    starts = [s.start for s in sents]

    def where(pos):
        i = bisect.bisect_right(starts, pos) - 1
        return sents[i] if i >= 0 and pos < sents[i].end else None

    for m in matches:
        s = where(m.start)
        if s is None:
            continue
        if m.lexicon == "actor":
            s.actors.append((m.start, m.end))
        elif m.lexicon == "side":
            s.sides.append((m.start, m.end))
        elif m.lexicon == "methods":
            s.methods = True
        elif m.lexicon == "background":
            s.context = s.context or "background"
        elif m.lexicon in weights:
            task, value, w = weights[m.lexicon]
            s.cues.setdefault((task, value), []).append((m.start, m.end, w))
    for pattern in abbrevs:
        for m in pattern.finditer(text):
            s = where(m.start())
            if s is not None:
                s.actors.append((m.start(), m.end()))
    for s in sents:
        s.actors.sort()
        for key, hits in s.cues.items():   # one hit per span: the strongest group
            best = {}
            for a, b, w in hits:
                if w > best.get((a, b), 0):
                    best[(a, b)] = w
            s.cues[key] = [(a, b, w) for (a, b), w in sorted(best.items())]


_scorer: list = []
_scorer_lock = threading.Lock()


def cue_scorer() -> CueScorer:
    """The packaged scorer (data read and matchers built once per process)."""
    with _scorer_lock:
        if not _scorer:
            _scorer.append(CueScorer())
        return _scorer[0]
