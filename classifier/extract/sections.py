"""Canonical sections from ordered lines (PDF) or plain-text lines (.txt).

Headings come from two sources of evidence: the heading lexicon (``classifier/data/headings.yml``)
and layout. A lexicon match must *look* like a heading (bigger, bolder, another font, all caps or
numbered, alone on its line); the style shared by most of the matched IMRaD headings becomes the
document's *main heading style*, which (a) lets unlisted headings in that style through ("Case Report",
"OUR CONTRIBUTIONS") and (b) keeps subsection headings in another style ("Conclusion" as a bold
subsection of a JMIR Discussion) inside their section. Run-in labels ("Acknowledgments:" in bold at the
start of a paragraph) start back-matter sections only; inside the abstract they stay abstract text.
After the references heading, only back-matter headings may start a new section, so nothing after the
references ever lands in a body section.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..document import Section
from .layout import Line, hyphenated_words
from .layout import join_lines as _join_lines
from .normalize import PDFIUM_HYPHEN

TABLES_HEADING = "Tables, figures and notes"  # where table cells, captions and small print from the body go
IMRAD = ("introduction", "methods", "results", "discussion", "conclusion")
LEXICON_PATH = Path(__file__).resolve().parents[1] / "data" / "headings.yml"

_NUMBERING = re.compile(r"^\s*(?:(?:\d{1,2}(?:\.\d{1,2})*|[ivx]{1,5}|[a-h])[\.\):]?\s+)(?=\S)", re.I)
_NUMBERED = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2})*|[IVX]{1,5})\.?\s+[A-Z]")
_SUBNUMBERED = re.compile(r"^\s*\d{1,2}\.\d")
_TRAILING_NUMBER = re.compile(r"\s+(?:\d{1,2}|[a-z]|[ivx]{1,4})$")
_HEADING_START = re.compile(r"^\s*(?:[\dIVX]+\.?[\d.]*\s+)?[A-Z]")  # headings start with a capital
_RUN_IN = re.compile(r"^([A-Z][A-Za-z\u2019' /-]{2,40}?)\s*[:.]\s+(?=\S)")


@dataclass(frozen=True)
class Lexicon:
    names: dict          # normalised heading -> canonical
    keywords: tuple      # (substring, canonical) fallbacks

    def lookup(self, heading: str) -> str | None:
        key = normalise_heading(heading)
        found = self.names.get(key)
        if found is None:  # "Multimedia Appendix 2", "Appendix A"
            base = _TRAILING_NUMBER.sub("", key)
            if base != key:
                found = self.names.get(base)
        return found

    def guess(self, heading: str) -> str | None:
        key = normalise_heading(heading)
        found = self.names.get(key)
        if found:
            return found
        for word, canonical in self.keywords:
            if word in key:
                return canonical
        return None


@lru_cache(maxsize=4)
def load_lexicon(path: str | None = None) -> Lexicon:
    import yaml

    data = yaml.safe_load(Path(path or LEXICON_PATH).read_text(encoding="utf-8"))
    names = {}
    for canonical, headings in (data.get("sections") or {}).items():
        for h in headings or []:
            names[normalise_heading(h)] = canonical
    keywords = tuple((w, c) for w, c in data.get("keywords") or [])
    return Lexicon(names, keywords)


@lru_cache(maxsize=4)
def abstract_labels(path: str | None = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(strict, loose) labels of structured abstracts (``abstract_labels`` in the heading lexicon): what
    the sentence splitter cuts off a sentence it was run into."""
    import yaml

    data = (yaml.safe_load(Path(path or LEXICON_PATH).read_text(encoding="utf-8")) or {}).get("abstract_labels") or {}
    return (tuple(str(x) for x in data.get("strict") or ()), tuple(str(x) for x in data.get("loose") or ()))


def normalise_heading(text: str) -> str:
    t = text.strip().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'").replace("&", " and ")
    t = _NUMBERING.sub("", t, count=1)
    t = re.sub(r"\s+'", "'", t)  # "Authors ’ contributions", as some engines space it
    t = t.strip().rstrip(":.;—–- ").strip()
    return " ".join(t.lower().split())


def _words(text: str) -> int:
    return len(text.split())


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


# -- PDF -------------------------------------------------------------------------------------------
@dataclass
class _Cand:
    index: int
    canonical: str | None
    heading: str
    style: tuple
    run_in: bool = False
    rest: str = ""
    body: bool = False   # an unlisted heading in the main style: part of the body


class SectionBuilder:
    """Ordered PDF lines -> canonical ``Section``s (plus warnings)."""

    def __init__(self, lexicon: Lexicon | None = None, max_heading_words: int = 10):
        self.lexicon = lexicon or load_lexicon()
        self.max_heading_words = max_heading_words

    # body style: the (size, font) carrying most characters
    @staticmethod
    def body_style(lines: list[Line]) -> tuple[float, str, bool]:
        weights = Counter()
        for ln in lines:
            weights[ln.style] += len(ln.text)
        return weights.most_common(1)[0][0] if weights else (10.0, "", False)

    def _distinct(self, ln: Line, body, nxt: Line | None = None) -> bool:
        """Looks like a heading: set off from the body style, or from the text that follows it."""
        size, font, bold = body
        if (ln.size > size + 0.6 or (ln.bold and not bold) or (ln.font != font and ln.size >= size - 1.5)
                or _is_caps(ln.text) or bool(_NUMBERED.match(ln.text))):
            return True
        if nxt is not None and nxt.page == ln.page and _words(nxt.text) >= 2:
            return ln.size > nxt.size + 0.5 or (ln.bold and not nxt.bold) or ln.font != nxt.font
        return False

    def _run_in(self, ln: Line, body) -> tuple[str, str] | None:
        """A distinct-style label at the start of a line ("Acknowledgments:", "Ethics.") and the rest."""
        if len(ln.spans) < 2:
            return None
        first = ln.spans[0]
        if not (first.bold or first.font != ln.font):
            return None
        label_parts = []
        for s in ln.spans:
            if s.font == first.font and s.bold == first.bold:
                label_parts.append(s.text)
            else:
                break
        label = " ".join(label_parts).strip()
        if not label or _words(label) > 8 or len(label) >= len(ln.text):
            return None
        rest = ln.text[len(label):] if ln.text.startswith(label) else ln.text.split(label, 1)[-1]
        rest = rest.lstrip(" :.—–-")
        return label, rest

    def _run_in_text(self, ln: Line) -> tuple[str, str] | None:
        """A label and its text in one bold/other-font run: "Abstract: Volatile metabolites ..."."""
        first = ln.spans[0]
        if not (first.bold or first.font != ln.font or len(ln.spans) == 1 and ln.bold):
            return None
        m = _RUN_IN.match(ln.text)
        if not m or not self.lexicon.lookup(m.group(1)):
            return None
        return m.group(1), ln.text[m.end():]

    def candidates(self, lines: list[Line]) -> tuple[list[_Cand], tuple]:
        body = self.body_style(lines)
        lex = self.lexicon
        out = []
        for i, ln in enumerate(lines):
            text = ln.text
            if ln.rotated:
                continue
            if ln.side and not (ln.size > body[0] + 1.0 and lex.lookup(text)):
                continue  # margin notes are not headings, unless a large listed heading landed there
            # the text that follows: a short sentence ("Not applicable."), else the next line with a
            # few words (a list number may come first)
            following = lines[i + 1] if i + 1 < len(lines) else None
            if following is not None and _words(following.text) >= 2 and following.text.endswith("."):
                nxt = following
            else:
                nxt = next((m for m in lines[i + 1:i + 4] if _words(m.text) >= 3), None)
            if (_words(text) <= self.max_heading_words and _HEADING_START.match(text)
                    and self._distinct(ln, body, nxt)):
                canonical = lex.lookup(text)
                if canonical or not (ln.spans[0].bold and len(ln.spans) > 1):
                    out.append(_Cand(i, canonical, text.strip(), ln.style + (_is_caps(text),)))
                    continue
            r = self._run_in(ln, body) or self._run_in_text(ln)
            if r:
                canonical = lex.lookup(r[0])
                starts_paragraph = ln.para_start or (i > 0 and lines[i - 1].text.endswith((".", ":")))
                # a bold back-matter label opens its section even when the line before ran on
                if canonical and (starts_paragraph or (canonical == "other" and ln.spans[0].bold)):
                    out.append(_Cand(i, canonical, r[0].rstrip(" :."), ln.style, True, r[1]))
        return out, body

    def main_style(self, cands: list[_Cand]):
        by_style: dict[tuple, set] = {}
        for c in cands:
            if c.canonical in IMRAD and not c.run_in:
                by_style.setdefault(c.style, set()).add(c.canonical)
        if not by_style:
            return None, 0
        style, names = max(by_style.items(), key=lambda kv: (len(kv[1]), kv[0][0]))
        return style, len(names)

    def build(self, lines: list[Line], title_lines: set[int] | None = None) -> tuple[list[Section], list[str]]:
        warnings: list[str] = []
        title_lines = title_lines or set()
        marks = any(ln.text.endswith(PDFIUM_HYPHEN) for ln in lines)  # the engine marks hyphenation
        compounds = hyphenated_words(lines)

        def join_lines(part: list[Line]) -> str:
            return _join_lines(part, hyphen_marks=marks, compounds=compounds)

        cands, body = self.candidates(lines)
        main, support = self.main_style(cands)
        accepted: list[_Cand] = []
        seen_body = False
        in_refs = False
        for c in cands:
            if title_lines and c.index <= max(title_lines):
                continue  # nothing above the title is a section heading (an article-type label is not)
            name = c.canonical
            if c.run_in:
                if name == "other" and (seen_body or in_refs):
                    accepted.append(c)
                elif name == "abstract" and not seen_body and not any(a.canonical == "abstract" for a in accepted):
                    accepted.append(c)
                continue
            if in_refs:
                if name == "other":
                    accepted.append(c)
                continue
            if name == "references":
                accepted.append(c)
                in_refs = True
                continue
            if name == "abstract":
                if not seen_body and not any(a.canonical == "abstract" for a in accepted):
                    accepted.append(c)
                continue
            if name in IMRAD:
                if main is None or support < 2 or c.style == main or (c.style[0] > main[0] + 0.4):
                    accepted.append(c)
                    seen_body = True
                continue
            if name == "other":
                if seen_body:
                    accepted.append(c)
                continue
            # unlisted heading: only in the main heading style, once the body has begun
            if (seen_body and main is not None and support >= 2 and c.style == main
                    and not c.heading.endswith((".", ",")) and main[:3] != body):
                guess = self.lexicon.guess(c.heading)
                if guess in ("abstract", "references", "title", "other"):
                    guess = None  # a main-style heading in the body is body ("OUR CONTRIBUTIONS")
                if guess is None:  # continue the body section it follows ("PROCESS EVALUATION")
                    guess = next((a.canonical for a in reversed(accepted) if a.canonical in IMRAD), "other")
                c.canonical = guess
                c.body = True
                accepted.append(c)

        sections: list[Section] = []
        # front matter: title, then (abstract) before the first heading
        first = accepted[0].index if accepted else len(lines)
        front = [ln for i, ln in enumerate(lines[:first]) if i not in title_lines]
        title = [lines[i] for i in sorted(title_lines) if i < len(lines)]
        if title:
            sections.append(Section("title", "", join_lines(title).replace("\n\n", " ")))
        has_abstract = any(a.canonical == "abstract" for a in accepted)
        if front:
            if not has_abstract and accepted:
                abstract, rest = infer_abstract(front)
                if rest:
                    sections.append(Section("other", "", join_lines(rest)))
                if abstract:
                    sections.append(Section("abstract", "", join_lines(abstract)))
            else:
                sections.append(Section("other", "", join_lines(front)))
        extra: list[Line] = []  # tables, captions, small print taken out of body sections
        for k, c in enumerate(accepted):
            end = accepted[k + 1].index if k + 1 < len(accepted) else len(lines)
            body_lines = [ln for i, ln in enumerate(lines[c.index + 1:end], c.index + 1) if i not in title_lines]
            if c.canonical in IMRAD or c.body:
                extra.extend(ln for ln in body_lines if ln.kind != "body")
                body_lines = [ln for ln in body_lines if ln.kind == "body"]
            text = join_lines(body_lines)
            if c.run_in and c.rest:
                text = _glue(c.rest, text)
            sections.append(Section(c.canonical or "other", c.heading, text))
        if extra:
            at = next((k for k, s in enumerate(sections) if s.name == "references"), len(sections))
            sections.insert(at, Section("other", TABLES_HEADING, join_lines(extra)))
        if not accepted:
            warnings.append("no section headings found; the text is one 'other' section")
        return [s for s in sections if s.text or s.heading], warnings


def _glue(rest: str, text: str) -> str:
    """The text after a run-in label, then the section's following lines."""
    if not text or text.startswith("\n"):
        return (rest.replace(PDFIUM_HYPHEN, "-") + text).strip()
    if rest.endswith(PDFIUM_HYPHEN):
        return (rest[:-1] + text).strip()
    return (rest.replace(PDFIUM_HYPHEN, "-") + " " + text).strip()


_LICENCE = re.compile(r"^(copyright|©|\(c\)|this is an open[- ]access|open access|received\b|accepted\b|published\b|"
                      r"academic editor|correspondence|edited by|reviewed by|citation:|keywords?\b|"
                      r"\*\s*correspondence)", re.I)


def infer_abstract(front: list[Line]) -> tuple[list[Line], list[Line]]:
    """The abstract of a paper that prints none: the longest run of prose paragraphs in the front
    matter (licence, dates, correspondence and keyword paragraphs excluded). Returns (abstract, rest)."""
    paras: list[list[Line]] = []
    for ln in front:
        if ln.para_start or not paras:
            paras.append([ln])
        else:
            paras[-1].append(ln)
    best: tuple[int, int, int] = (0, -1, -1)  # words, start, end
    run_start, run_words = None, 0
    for k, p in enumerate(paras + [[]]):
        text = " ".join(ln.text for ln in p)
        prose = (bool(p) and _words(text) >= 25 and not _LICENCE.match(text) and not any(ln.side for ln in p)
                 and text.count(",") <= 0.18 * _words(text))  # an address list is mostly commas
        if prose:
            if run_start is None:
                run_start, run_words = k, 0
            run_words += _words(text)
        else:
            if run_start is not None and run_words > best[0]:
                best = (run_words, run_start, k)
            run_start = None
    if best[1] < 0:
        return [], front
    abstract = [ln for p in paras[best[1]:best[2]] for ln in p]
    ids = {id(ln) for ln in abstract}
    return abstract, [ln for ln in front if id(ln) not in ids]


def find_title(lines: list[Line], page: int) -> set[int]:
    """Indexes of the title lines: the largest type in the upper part of the first article page."""
    cands = [(i, ln) for i, ln in enumerate(lines) if ln.page == page and not ln.side and not ln.rotated]
    if not cands:
        return set()
    sizes = Counter()
    for _, ln in cands:
        sizes[ln.size] += len(ln.text)
    body = sizes.most_common(1)[0][0]
    upper = [(i, ln) for i, ln in cands if ln.top < 0.6 * max(l.bottom for _, l in cands)]
    if not upper:
        return set()
    # runs of consecutive lines in one type size; the title is the largest run with enough text
    # (a journal logo or an article-type label is large but short)
    runs: list[list[int]] = []
    for i, ln in upper:
        prev = lines[runs[-1][-1]] if runs else None
        if prev is not None and i == runs[-1][-1] + 1 and abs(prev.size - ln.size) < 0.6 and prev.bold == ln.bold:
            runs[-1].append(i)
        else:
            runs.append([i])
    runs = [r for r in runs if sum(len(lines[i].text) for i in r) >= 20 and lines[r[0]].size > body + 1.0]
    if not runs:
        return set()
    return set(max(runs, key=lambda r: (lines[r[0]].size, sum(len(lines[i].text) for i in r))))


# -- plain text ------------------------------------------------------------------------------------
_TXT_NUMBERED = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVX]{1,5}\.)\s+[A-Z][^.!?]*$")


def text_sections(text: str, lexicon: Lexicon | None = None) -> tuple[list[Section], list[str]]:
    """Sections of a plain-text document from heading lines: numbered, ALL CAPS, or a known heading
    on its own line (optionally ending in ':'). No heading at all: one ``other`` section."""
    lex = lexicon or load_lexicon()
    lines = text.split("\n")
    heads: list[tuple[int, str, str]] = []  # line index, canonical, printed
    in_refs = False
    seen_body = False
    for i, raw in enumerate(lines):
        s = raw.strip()
        if not s or _words(s) > 10 or len(s) > 90:
            continue
        before_blank = i == 0 or not lines[i - 1].strip()
        after_blank = i + 1 >= len(lines) or not lines[i + 1].strip()
        known = lex.lookup(s)
        numbered = bool(_TXT_NUMBERED.match(s)) and not _SUBNUMBERED.match(s)
        caps = _is_caps(s) and not s.endswith((".", ","))
        if not (known or ((numbered or caps) and (before_blank or after_blank))):
            continue
        if not known and s.endswith((".", ",", ";")):
            continue
        canonical = known or lex.guess(s)
        if in_refs and canonical != "other":
            continue
        if canonical is None:
            if not seen_body:
                continue
            canonical = next((c for _, c, _ in reversed(heads) if c in IMRAD), "other")
        if canonical == "abstract" and seen_body:
            continue
        if canonical in IMRAD:
            seen_body = True
        if canonical == "references":
            in_refs = True
        heads.append((i, canonical, s.rstrip(":").strip()))
    if not heads:
        body = _paragraphs(text.strip())
        return ([Section("other", "", body)] if body else []), ["no section headings found; the text is one 'other' section"]
    sections = []
    pre = "\n".join(lines[: heads[0][0]]).strip()
    if pre:
        first, _, rest = pre.partition("\n\n") if "\n\n" in pre else (pre, "", "")
        # a short first line standing alone above the first heading is the title
        if "\n" not in first.strip() and _words(first) <= 30 and not first.rstrip().endswith("."):
            sections.append(Section("title", "", first.strip()))
            pre = rest.strip()
        if pre:
            sections.append(Section("other", "", _paragraphs(pre)))
    for k, (i, canonical, printed) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
        sections.append(Section(canonical, printed, _paragraphs("\n".join(lines[i + 1:end]).strip())))
    return sections, []


def _paragraphs(text: str) -> str:
    """Hard-wrapped plain text to paragraphs (single newlines inside a paragraph become spaces)."""
    paras = re.split(r"\n\s*\n", text)
    out = []
    for p in paras:
        rows = [r.strip() for r in p.split("\n") if r.strip()]
        if not rows:
            continue
        joined = rows[0]
        for r in rows[1:]:
            if re.search(r"[A-Za-z]-$", joined) and r[:1].islower():
                joined = joined[:-1] + r
            else:
                joined += " " + r
        out.append(joined)
    return "\n\n".join(out)
