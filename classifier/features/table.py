"""Document -> one feature row (text columns + rule counts) and the sentences evidence is drawn from.

Columns of the table the model's ``ColumnTransformer`` reads:

- ``front``: title + abstract (the part every input has; training texts are mostly abstracts). A full
  text without a detected abstract uses its title and opening body text instead.
- ``rule_<lexicon>_front``: log(1 + matches) in title + abstract.
- ``rule_<lexicon>_all``: log(1 + matches per 10 sentences) over every section except references and
  back matter (``other``): a density, so a 300-sentence full text and a 10-sentence abstract are on one
  scale, and body text can add evidence the abstract lacks.
- ``rule_<a>+<b>_front|all`` (lexicon ``combine``): the smaller of the two lexicons' values.
- ``rule_<a>@<b>_front|all`` (lexicon ``near``): the same two measures counting only the sentences that
  hold matches of both lexicons (e.g. a boundary-spanning verb in a sentence about the peer worker).

References and back matter never feed features or evidence.
"""
from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..document import NON_CONTENT, Document, Sentence
from .rules import Match, RuleMatcher

FRONT_SECTIONS = ("title", "abstract")
BODY_EXCLUDED = NON_CONTENT
FALLBACK_FRONT_CHARS = 2000
_CACHE_SIZE = 600   # documents; enough for repeated refits on a corpus, bounded for long batches


@dataclass
class SentenceInfo:
    section: str
    sentence: Sentence
    matches: list[Match] = field(default_factory=list)   # offsets into the section text


@dataclass
class DocumentFeatures:
    frame: pd.DataFrame                  # one row per document (columns above)
    sentences: list[list[SentenceInfo]]  # per document, in reading order


def rule_columns(names: list[str], pairs=(), near=()) -> list[str]:
    cols = [f"rule_{n}_front" for n in names] + [f"rule_{n}_all" for n in names]
    cols += [f"rule_{a}@{b}_{where}" for a, b in near for where in ("front", "all")]
    return cols + [f"rule_{a}+{b}_{where}" for a, b in pairs for where in ("front", "all")]


def _near_counts(infos, near) -> list[tuple[int, int]]:
    """Per (a, b) in ``near``: (sentences of title + abstract, all sentences) holding both lexicons."""
    out = []
    for a, b in near:
        front = every = 0
        for info in infos:
            found = {m.lexicon for m in info.matches}
            if a in found and b in found:
                every += 1
                front += info.section in FRONT_SECTIONS
        out.append((front, every))
    return out


def add_pairs(frame: pd.DataFrame, pairs) -> pd.DataFrame:
    """"Both present" features: the smaller of two lexicons' values (a soft AND a linear model lacks)."""
    for a, b in pairs:
        for where in ("front", "all"):
            frame[f"rule_{a}+{b}_{where}"] = np.minimum(frame[f"rule_{a}_{where}"], frame[f"rule_{b}_{where}"])
    return frame


def _sentences_of(section) -> list[Sentence]:
    from ..extract.sentences import section_sentences

    return section_sentences(section)


def content_sections(document: Document) -> list:
    """The sections that feed features and evidence (``Document.content_sections``)."""
    return document.content_sections()


def _document_key(document: Document, matcher: RuleMatcher) -> str:
    h = hashlib.sha1()
    for lx in matcher.lexicons:
        h.update(repr((lx.name, lx.terms, lx.patterns, lx.near)).encode())
    for s in document.sections:
        h.update(b"\0" + s.name.encode() + b"\0" + s.text.encode("utf-8", "replace"))
    return h.hexdigest()


class _Cache(OrderedDict):
    def get_or(self, key, make):
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self[key] = make()
        if len(self) > _CACHE_SIZE:
            self.popitem(last=False)
        return value


_cache = _Cache()


def _analyse(document: Document, matcher: RuleMatcher) -> tuple[str, dict, list[SentenceInfo]]:
    sections = content_sections(document)
    per_section = matcher.match_many([s.text for s in sections])
    infos: list[SentenceInfo] = []
    front_counts = dict.fromkeys(matcher.names, 0)
    all_counts = dict.fromkeys(matcher.names, 0)
    for section, matches in zip(sections, per_section):
        sents = _sentences_of(section)
        i = 0
        bucket: list[list[Match]] = [[] for _ in sents]
        for m in matches:
            while i < len(sents) and sents[i].end <= m.start:
                i += 1
            j = i if i < len(sents) else len(sents) - 1
            if j >= 0 and sents[j].start <= m.start < max(sents[j].end, m.start + 1):
                bucket[j].append(m)
            all_counts[m.lexicon] += 1
            if section.name in FRONT_SECTIONS:
                front_counts[m.lexicon] += 1
        infos.extend(SentenceInfo(section.name, s, b) for s, b in zip(sents, bucket))
    front = [s.text for s in sections if s.name in FRONT_SECTIONS]
    if not any(s.name == "abstract" for s in sections):
        body = " ".join(s.text for s in sections if s.name not in FRONT_SECTIONS)
        front.append(body[:FALLBACK_FRONT_CHARS])
    n_sent = max(len(infos), 10)
    row = {"front": "\n".join(t for t in front if t)}
    for name in matcher.names:
        row[f"rule_{name}_front"] = math.log1p(front_counts[name])
    for name in matcher.names:
        row[f"rule_{name}_all"] = math.log1p(10.0 * all_counts[name] / n_sent)
    near = getattr(matcher, "near", [])
    for (a, b), (front_n, all_n) in zip(near, _near_counts(infos, near)):
        row[f"rule_{a}@{b}_front"] = math.log1p(front_n)
        row[f"rule_{a}@{b}_all"] = math.log1p(10.0 * all_n / n_sent)
    return row["front"], row, infos


def featurize(documents: list[Document], matcher: RuleMatcher) -> DocumentFeatures:
    """Feature rows and sentence matches for ``documents`` (memoised by content and lexicons)."""
    rows, sentences = [], []
    for document in documents:
        _, row, infos = _cache.get_or(_document_key(document, matcher), lambda d=document: _analyse(d, matcher))
        rows.append(row)
        sentences.append(infos)
    columns = ["front"] + rule_columns(matcher.names, near=getattr(matcher, "near", []))
    frame = pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
    frame["front"] = frame["front"].fillna("").astype(object)
    for c in columns[1:]:
        frame[c] = frame[c].astype(float)
    return DocumentFeatures(add_pairs(frame, matcher.pairs), sentences)


def sentence_frame(infos: list[SentenceInfo], names: list[str], pairs=(), near=()) -> pd.DataFrame:
    """One row per sentence in the document table's layout: the sentence alone as a tiny document."""
    rows = []
    for info in infos:
        counts = dict.fromkeys(names, 0)
        for m in info.matches:
            counts[m.lexicon] += 1
        row = {"front": info.sentence.text}
        for n in names:
            row[f"rule_{n}_front"] = math.log1p(counts[n])
        for n in names:
            row[f"rule_{n}_all"] = math.log1p(counts[n])
        for a, b in near:
            both = math.log1p(1.0) if counts[a] and counts[b] else 0.0
            row[f"rule_{a}@{b}_front"] = row[f"rule_{a}@{b}_all"] = both
        rows.append(row)
    columns = ["front"] + rule_columns(names, near=near)
    frame = pd.DataFrame(rows, columns=columns)
    for c in columns[1:]:
        frame[c] = frame[c].astype(float)
    return add_pairs(frame, pairs)
