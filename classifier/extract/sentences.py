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
    out = []
    for a, b in spans:  # a paragraph break always ends a sentence (headings, captions, list items)
        for piece_a, piece_b in _split_paragraphs(text, a, b):
            out.append(Sentence(text[piece_a:piece_b], piece_a, piece_b))
    return out


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
        section.sentences = split_sentences(section.text) if all_sections else content_sentences(section.text)
    return document
