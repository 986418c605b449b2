"""Sentence splitting with character offsets (spaCy ``blank("en")`` + sentencizer + lookup lemmas).

The tokenizer learns the abbreviations of scholarly prose ("et al.", "Fig. 2", "approx.") so that the
sentencizer does not split after them; decimals ("2.5") are single tokens already. A paragraph break
(blank line) always ends a sentence, so a heading or caption never runs into the next sentence.
Nothing is downloaded: lemmas come from the installed ``spacy-lookups-data`` tables.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from functools import lru_cache

from ..document import Document, Sentence

ABBREVIATIONS = (
    "al.", "et al.", "Fig.", "Figs.", "fig.", "figs.", "Tab.", "Eq.", "Eqs.", "eq.", "Ref.", "Refs.",
    "ref.", "refs.", "No.", "no.", "Nos.", "Vol.", "vol.", "pp.", "p.", "approx.", "Approx.", "vs.",
    "cf.", "Cf.", "viz.", "ca.", "c.", "resp.", "Dr.", "Prof.", "Mr.", "Mrs.", "Ms.", "St.", "Suppl.",
    "suppl.", "Dept.", "Univ.", "Inc.", "Ltd.", "Co.", "Jr.", "Sr.", "min.", "max.", "incl.", "esp.",
    "e.g.", "i.e.", "E.g.", "I.e.", "etc.)", "n.d.", "U.S.", "U.K.", "Ph.D.", "M.D.",
)

# A sentence may not start with a lowercase letter, a digit or closing punctuation after a split
_BAD_START = re.compile(r"[a-z0-9\)\]\},;:%]")


@lru_cache(maxsize=1)
def get_nlp():
    """The shared spaCy pipeline: blank English, abbreviation-aware sentencizer, lookup lemmas."""
    import spacy
    from spacy.symbols import ORTH

    from .lemmas import register

    register()
    nlp = spacy.blank("en")
    for abbr in ABBREVIATIONS:
        if " " not in abbr:
            nlp.tokenizer.add_special_case(abbr, [{ORTH: abbr}])
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lookup_lemmas")
    nlp.initialize()  # loads the lookup table from spacy-lookups-data (installed, never downloaded)
    return nlp


class _RecentDocs:
    """The spaCy Docs of the most recently analysed texts (bounded by their total length), so that
    the rule matchers reuse the tokens and lemmas of the sentence splitter instead of tokenizing the
    same section again."""

    def __init__(self, max_chars: int = 1_000_000):
        self.max_chars = max_chars
        self.chars = 0
        self.docs: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, text: str):
        with self.lock:
            doc = self.docs.get(text)
            if doc is not None:
                self.docs.move_to_end(text)
            return doc

    def put(self, text: str, doc) -> None:
        if len(text) > self.max_chars:
            return
        with self.lock:
            if text in self.docs:
                return
            self.docs[text] = doc
            self.chars += len(text)
            while self.chars > self.max_chars:
                old, _ = self.docs.popitem(last=False)
                self.chars -= len(old)

    def clear(self) -> None:
        with self.lock:
            self.docs.clear()
            self.chars = 0


_recent = _RecentDocs()


def forget_recent() -> None:
    """Drop the kept Docs (a batch worker calls this once a chunk of documents is labelled)."""
    _recent.clear()


def analyse(text: str):
    """``text`` as a spaCy Doc with sentence boundaries and lemmas (of the lower-cased words): what
    both the sentence splitter and the rule matchers need, so a text analysed for one is reused by the
    other (the Doc is kept among the recent ones). Components are called directly (not
    ``select_pipes``, which mutates the shared pipeline), so threads may share ``get_nlp()``."""
    doc = _recent.get(text)
    if doc is None:
        nlp = get_nlp()
        doc = nlp.get_pipe("lookup_lemmas")(nlp.get_pipe("sentencizer")(nlp.make_doc(text)))
        _recent.put(text, doc)
    return doc


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of ``text`` with offsets such that ``text[s.start:s.end] == s.text``."""
    if not text or not text.strip():
        return []
    doc = analyse(text)
    spans: list[list[int]] = []
    for sent in doc.sents:
        start, end = sent.start_char, sent.end_char
        # trim whitespace
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start >= end:
            continue
        # glue a fragment that cannot start a sentence onto the previous one,
        # unless a blank line (paragraph break) separates them
        if spans and _BAD_START.match(text[start]) and "\n\n" not in text[spans[-1][1]:start]:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    _move_list_numbers(text, spans)
    out = []
    for a, b in spans:  # a paragraph break always ends a sentence (headings, captions, list items)
        for piece_a, piece_b in _split_paragraphs(text, a, b):
            piece_a = _skip_labels(text, piece_a, piece_b)
            for item_a, item_b in _split_list(text, piece_a, piece_b):
                out.append(Sentence(text[item_a:item_b], item_a, item_b))
    return out


def section_sentences(section, everything: bool = False) -> list[Sentence]:
    """The sentences of a ``Section``: its own when already split, else ``content_sentences`` (or every
    sentence, boilerplate too, with ``everything``); a title is one sentence whatever its punctuation
    ("Peer support: does it work? A trial")."""
    if section.sentences:
        return list(section.sentences)
    if section.name == "title":
        text = section.text
        a, b = 0, len(text)
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b and b - a <= MAX_TITLE_CHARS:
            return [Sentence(text[a:b], a, b)]
    return split_sentences(section.text) if everything else content_sentences(section.text)


MAX_TITLE_CHARS = 600  # longer "titles" are extraction accidents: split them like any text


@lru_cache(maxsize=1)
def _label_patterns():
    """Regexes for a structured-abstract label at the start of a sentence (``abstract_labels`` in
    ``data/headings.yml``): strict labels end at ":", ".", a line break or a capitalised word; loose ones
    need ":" / a line break, or capitals."""
    from .sections import abstract_labels

    strict, loose = abstract_labels()

    def alternation(labels):
        words = sorted({" ".join(x.split()) for x in labels if x.strip()}, key=len, reverse=True)
        return "|".join(r"\s+".join(re.escape(w) for w in x.split()) for x in words) or "(?!)"

    marked = r"(?:[ \t]*(?:[:.\u2013\u2014]|\n)|[ \t]{2,})\s*"   # "Results:", "Results.", "Results\n", "Results —"
    spaced = r"[ \t]+(?=(?-i:[A-Z0-9(\u201c\"]))"         # "Results Results from", "Objective To"
    s, l_ = alternation(strict), alternation(loose)
    glued = r"(?=(?-i:[A-Z][a-z]))"                    # "ResultsThe clients ...", "Design and settingThis study"
    return (re.compile(rf"(?:{s})(?:{marked}|{spaced}|{glued})", re.I),
            re.compile(rf"(?:{l_})(?:{marked}|{glued})", re.I),
            re.compile(rf"(?-i:(?:{l_.upper()}))(?:{marked}|[ \t]+)", re.I))


_TRAILING_NUMBER = re.compile(r"(?<=[\s:])(\d{1,2})\.$")


def _move_list_numbers(text: str, spans: list[list[int]]) -> None:
    """A numbered list run into prose ("Themes were: 1. Trust 2. Navigation") is split by the sentencizer
    after each number ("Themes were: 1.", "Trust 2.", ...): move each number to the item it belongs to.
    Only a run 1., 2., ... counting up from 1 is moved (a sentence may end in "aged 65.")."""
    i = 0
    while i < len(spans) - 1:
        m = _TRAILING_NUMBER.search(text, spans[i][0], spans[i][1])
        if not m or m.group(1) != "1":
            i += 1
            continue
        run, want = [i], 2
        j = i + 1
        while j < len(spans) - 1:
            m2 = _TRAILING_NUMBER.search(text, spans[j][0], spans[j][1])
            if not m2 or m2.group(1) != str(want):
                break
            run.append(j)
            want += 1
            j += 1
        if len(run) < 2:
            i += 1
            continue
        for k in run:
            m3 = _TRAILING_NUMBER.search(text, spans[k][0], spans[k][1])
            end = m3.start()
            while end > spans[k][0] and text[end - 1].isspace():
                end -= 1
            spans[k + 1][0] = m3.start()
            spans[k][1] = end
        spans[:] = [sp for sp in spans if sp[1] > sp[0]]
        i = j + 1


def _skip_labels(text: str, a: int, b: int) -> int:
    """Start of the sentence ``text[a:b]`` after any structured-abstract labels run into it (the label
    is a heading, not part of the sentence); ``a`` when the rest would be a fragment."""
    patterns = _label_patterns()
    start = a
    while True:
        for pattern in patterns:
            m = pattern.match(text, start, b)
            if m and m.end() > start:
                break
        else:
            break
        if len(text[m.end():b].split()) < 2:
            break
        marked = any(c in m.group(0) for c in ":.\u2013\u2014\n") or "  " in m.group(0)
        if start > a and not marked:
            break  # "Results Results from ...": one label, then the sentence's own first word
        start = m.end()
    return start


_ENUM = re.compile(r"(?:(?<=\s)|(?<=^)|(?<=:))\(?(\d{1,2}|[ivx]{1,4}|[a-h])\)[ \t]+(?=\S)"
                   r"|(?:(?<=\s)|(?<=^)|(?<=:))(\d{1,2})\.[ \t]+(?=[A-Za-z])")
_BULLET = re.compile(r"[\u2022\u25aa\u25cf\u25e6\u2023](?=\s)")   # "• one; • two": a bulleted list
_ORDER = {kind: {v: i for i, v in enumerate(seq)} for kind, seq in (
    ("digit", [str(n) for n in range(1, 100)]), ("roman", "i ii iii iv v vi vii viii ix x".split()),
    ("alpha", list("abcdefgh")))}


def _kind(value: str) -> str:
    return "digit" if value.isdigit() else ("roman" if value in _ORDER["roman"] else "alpha")


def _split_list(text: str, a: int, b: int):
    """``text[a:b]`` cut before each item of an inline enumeration ("(1) ... (2) ...", "1) ... 2) ...",
    "1. ... 2. ...", or two or more bullets "\u2022"): the lead-in and each item become sentences. Only a run that starts at the first
    value (1, i, a) and counts up by one is a list, so "(p < 0.05)" or a citation "(3)" is left alone."""
    found = []
    for m in _ENUM.finditer(text, a, b):
        value = (m.group(1) or m.group(2)).lower()
        found.append((m.start(), value, _kind(value)))
    best: list[int] = []
    for i, (_, value, kind) in enumerate(found):
        if _ORDER[kind].get(value) != 0:
            continue
        run, want = [found[i][0]], 1
        for pos, v, k in found[i + 1:]:
            if k == kind and _ORDER[k].get(v) == want:
                run.append(pos)
                want += 1
        if len(run) >= 2 and len(run) > len(best):
            best = run
    if not best:
        best = [m.start() for m in _BULLET.finditer(text, a, b)]
        if len(best) < 2:
            yield a, b
            return
    cuts = [a] + best + [b]
    for x, y in zip(cuts, cuts[1:]):
        while x < y and text[x].isspace():
            x += 1
        while y > x and text[y - 1].isspace():
            y -= 1
        if x < y:
            yield x, y


_PARA_BREAK = re.compile(r"\n[ \t]*\n\s*")

# Publishing boilerplate that layout cleaning can leave inside a section: licence and copyright lines,
# correspondence and e-mail addresses, received/accepted dates. Not what a study says about itself, so
# never a sentence for features or evidence.
_BOILERPLATE = re.compile(
    r"creative commons|open[- ]access article|distributed under the terms|terms of the .{0,40}licen[cs]e"
    r"|\blicen[cs]ee\b|all rights reserved|permits unrestricted use|reproduction in any medium"
    r"|this article is licensed|^\W{0,3}(?:©|\(c\)\s*\d{4}|copyright\b)|©\s*(?:19|20)\d\d"
    r"|^\W{0,3}correspond(?:ence|ing author)\b|\bcorresponding author\b|full list of author information"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|^\W{0,3}(?:received|accepted|published(?: online)?)\s*:?\s*\d",
    re.I)


def is_boilerplate(sentence: str) -> bool:
    """A licence, copyright, correspondence or date line rather than the study's own words."""
    return bool(_BOILERPLATE.search(sentence))


def content_sentences(text: str) -> list[Sentence]:
    """``split_sentences(text)`` without publishing boilerplate (offsets unchanged): the sentences that
    feed the features and may be chosen as evidence."""
    return [s for s in split_sentences(text) if not is_boilerplate(s.text)]


def _split_paragraphs(text: str, a: int, b: int):
    start = a
    for m in _PARA_BREAK.finditer(text, a, b):
        end = m.start()
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            yield start, end
        start = m.end()
    if start < b:
        yield start, b


def add_sentences(document: Document, all_sections: bool = False) -> Document:
    """Fill ``section.sentences`` (in place) for the sections that feed features and evidence
    (``Document.content_sections()``: not the reference list or back matter, a third of a typical
    article; publishing boilerplate left out, ``content_sentences``), or every sentence of every section
    with ``all_sections`` (``extract`` shows them all); returns ``document``."""
    sections = document.sections if all_sections else document.content_sections()
    for section in sections:
        section.sentences = []
        section.sentences = section_sentences(section, everything=all_sections)
    return document
