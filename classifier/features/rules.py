"""Rule matches: lexicon terms and token patterns over lemmas (spaCy ``PhraseMatcher``/``Matcher``).

Text is tokenized once, by the sentence splitter (``extract.sentences.analyse`` returns its Doc), and
lemmas come from the lower-cased words, so "Bridging" and "bridging" both match "bridge".
"""
from __future__ import annotations

from dataclasses import dataclass

from .lexicons import Lexicon


@dataclass(frozen=True)
class Match:
    lexicon: str
    start: int      # character offsets into the text that was matched
    end: int


def _lemma_pattern(pattern: list[dict]) -> list[dict]:
    """Make a token pattern case-insensitive, as the lemmas are: string values lower-cased, and ORTH/TEXT
    (the exact word) compared with the word's lower-case form."""
    out = []
    for token in pattern:
        new = {}
        for key, value in token.items():
            key = key.upper()
            if isinstance(value, str) and key in ("LEMMA", "LOWER", "NORM", "ORTH", "TEXT"):
                value = value.lower()
            elif isinstance(value, dict):
                value = {k: ([str(x).lower() for x in v] if isinstance(v, list) else v) for k, v in value.items()}
            new["LOWER" if key in ("ORTH", "TEXT") else key] = value
        out.append(new)
    return out


_NOT = "not_in\0"   # matcher key prefix of a lexicon's not_in phrases


class RuleMatcher:
    """Finds lexicon matches in text. Built lazily from plain lexicon data (never persisted itself)."""

    def __init__(self, lexicons: list[Lexicon]):
        self.lexicons = list(lexicons)
        self.names = [lx.name for lx in self.lexicons]
        self.pairs = [(lx.name, other) for lx in self.lexicons for other in lx.combine if other in self.names]
        self.near = [(lx.name, other) for lx in self.lexicons for other in lx.near if other in self.names]
        self._built = False

    def _build(self):
        from spacy.matcher import Matcher, PhraseMatcher

        from ..extract.sentences import analyse, get_nlp

        self.nlp = get_nlp()
        self._analyse = analyse
        self.phrase = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self.matcher = Matcher(self.nlp.vocab)
        patterns = []
        for lx in self.lexicons:
            docs = [analyse(t) for t in lx.terms]
            if docs:
                self.phrase.add(lx.name, docs)
            if lx.not_in:   # phrases inside which this lexicon's matches do not count
                self.phrase.add(_NOT + lx.name, [analyse(t) for t in lx.not_in])
            if lx.patterns:
                mine = [_lemma_pattern(p) for p in lx.patterns]
                self.matcher.add(lx.name, mine)
                patterns += mine
        self.anchors = _Anchors.of(patterns, self.nlp.vocab.strings)
        self._built = True

    def _pattern_hits(self, doc) -> list[tuple[int, int, int]]:
        """Token-pattern matches ``(key, start, end)``. The Matcher costs far more than the phrase
        matcher (a Python object per token), so when every pattern starts with a fixed word it runs
        only on short windows that start at such a word."""
        if not len(self.matcher):
            return []  # (spaCy warns when an empty Matcher is called)
        if self.anchors is None:
            return list(self.matcher(doc))
        hits = set()
        for start in self.anchors.starts(doc):
            window = doc[start:min(len(doc), start + self.anchors.width)]
            hits.update((key, start + a, start + b) for key, a, b in self.matcher(window))
        return sorted(hits, key=lambda h: (h[1], h[2], h[0]))

    def match_many(self, texts: list[str]) -> list[list[Match]]:
        """Matches for each text (longest match wins where one lexicon's matches overlap)."""
        if not self._built:
            self._build()
        out = []
        for text in texts:
            matches = []
            for offset, chunk in _chunks(text, CHUNK_CHARS):
                matches += [Match(m.lexicon, m.start + offset, m.end + offset) for m in self._match_one(chunk)]
            out.append(matches)
        return out

    def _match_one(self, text: str) -> list[Match]:
        doc = self._analyse(text)  # the sentence splitter's tokens; lemmas of the lower-cased words
        found: dict[str, list[tuple[int, int]]] = {}
        for key, start, end in list(self.phrase(doc)) + self._pattern_hits(doc):
            found.setdefault(self.nlp.vocab.strings[key], []).append((start, end))
        blocked = {name[len(_NOT):]: found.pop(name) for name in [n for n in found if n.startswith(_NOT)]}
        matches = []
        for name, spans in found.items():
            if name in blocked:
                spans = [(s, e) for s, e in spans if not any(a <= s and e <= b for a, b in blocked[name])]
            # keep the longest non-overlapping spans per lexicon
            spans.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
            taken: list[tuple[int, int]] = []
            for s, e in spans:
                if all(e <= a or s >= b for a, b in taken):
                    taken.append((s, e))
            for s, e in sorted(taken):
                span = doc[s:e]
                matches.append(Match(name, span.start_char, span.end_char))
        return sorted(matches, key=lambda m: (m.start, m.lexicon))


class _Anchors:
    """Where a token pattern can start: every pattern's first token is a required word (a LEMMA or LOWER
    value, or a set of them) and no token repeats (``*``, ``+``, ``{n,m}``), so a match spans at most
    ``width`` tokens from a token holding one of those words."""

    def __init__(self, lemmas: set, lowers: set, width: int):
        self.lemmas, self.lowers, self.width = lemmas, lowers, width

    @classmethod
    def of(cls, patterns: list[list[dict]], strings) -> "_Anchors | None":
        lemmas, lowers = set(), set()
        for pattern in patterns:
            if not pattern or any(t.get("OP") not in (None, "1", "?", "!") for t in pattern):
                return None  # a token that may repeat ("*", "+", "{2,3}"): no fixed width
            first = pattern[0]
            keys = set(first) - {"OP"}
            if first.get("OP") not in (None, "1") or len(keys) != 1:
                return None
            (key,) = keys
            value = first[key]
            values = [value] if isinstance(value, str) else (value.get("IN") if isinstance(value, dict) and set(value) == {"IN"} else None)
            if key not in ("LEMMA", "LOWER") or not values:
                return None
            (lemmas if key == "LEMMA" else lowers).update(strings.add(str(v)) for v in values)
        return cls(lemmas, lowers, max(len(p) for p in patterns)) if patterns else None

    def starts(self, doc) -> list[int]:
        import numpy as np
        from spacy.attrs import LEMMA, LOWER

        if not len(doc):
            return []
        values = doc.to_array([LEMMA, LOWER])
        hit = np.zeros(len(doc), dtype=bool)
        if self.lemmas:
            hit |= np.isin(values[:, 0], np.array(sorted(self.lemmas), dtype=np.uint64))
        if self.lowers:
            hit |= np.isin(values[:, 1], np.array(sorted(self.lowers), dtype=np.uint64))
        return np.flatnonzero(hit).tolist()


CHUNK_CHARS = 200_000  # spaCy refuses texts over nlp.max_length (1,000,000); long sections go in pieces


def _chunks(text: str, size: int):
    """(offset, piece) pieces of at most ``size`` characters, cut at a paragraph or line break if possible."""
    start = 0
    while len(text) - start > size:
        cut = text.rfind("\n", start + size // 2, start + size)
        if cut == -1:
            cut = text.rfind(" ", start + size // 2, start + size)
        cut = cut + 1 if cut != -1 else start + size
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


class LexiconMatcherMixin:
    """For estimators that carry their lexicons as plain data (``lexicon_data_``): the spaCy matcher is
    rebuilt on demand and never stored (``_TRANSIENT`` names what a saved model leaves out)."""

    _TRANSIENT = ("_matcher",)

    def __getstate__(self):
        state = dict(self.__dict__)
        for key in self._TRANSIENT:
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    def _get_matcher(self) -> "RuleMatcher":
        from .lexicons import Lexicon

        m = self.__dict__.get("_matcher")
        if m is None:
            m = self._matcher = RuleMatcher([Lexicon.from_dict(d) for d in self.lexicon_data_])
        return m
