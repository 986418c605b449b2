"""Codebook lexicons kept as data: one YAML file per cue family in ``classifier/data/lexicons``.

A file holds ``name``, ``description``, ``tasks`` (which tasks it informs), ``terms`` (phrases matched
on lemmas of the lower-cased text) and optional ``patterns`` (spaCy ``Matcher`` token patterns),
``combine``, ``near``, ``not_in`` and ``shows`` (the label values whose words these are, ``{task: value}``:
a full-text label of that value on an abstract without them is one the abstract cannot show).
A reviewer adds a term on its own line and retrains; no code changes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


class LexiconError(Exception):
    """A lexicon file that cannot be used (one-line message naming the file)."""


@dataclass(frozen=True)
class Lexicon:
    name: str
    terms: tuple[str, ...]
    patterns: tuple = ()          # Matcher patterns (lists of token dicts), as plain data
    tasks: tuple[str, ...] = ()
    description: str = ""
    combine: tuple[str, ...] = ()   # other lexicons: adds "both present" features (soft AND)
    near: tuple[str, ...] = ()      # other lexicons: adds "both in one sentence" features
    not_in: tuple[str, ...] = ()    # phrases inside which a match does not count ("shared decision-making")
    shows: tuple[tuple[str, str], ...] = ()   # (task, value) pairs these words are the mark of

    def to_dict(self) -> dict:
        return {"name": self.name, "terms": list(self.terms), "patterns": [list(p) for p in self.patterns],
                "tasks": list(self.tasks), "description": self.description, "combine": list(self.combine),
                "near": list(self.near), "not_in": list(self.not_in), "shows": [list(p) for p in self.shows]}

    @classmethod
    def from_dict(cls, data: dict) -> "Lexicon":
        return cls(str(data["name"]), tuple(data.get("terms", ())), tuple(data.get("patterns", ())),
                   tuple(data.get("tasks", ())), str(data.get("description", "")), tuple(data.get("combine", ())),
                   tuple(data.get("near", ())), tuple(data.get("not_in", ())),
                   tuple((str(t), str(v)) for t, v in data.get("shows", ())))


def default_dir() -> Path:
    return Path(str(resources.files("classifier").joinpath("data/lexicons")))


def parse_lexicon(text: str, origin: str) -> Lexicon:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise LexiconError(f"{origin}{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(raw, dict):
        raise LexiconError(f"{origin}: expected a mapping with 'name' and 'terms'")
    name = str(raw.get("name") or Path(origin).stem).strip().lower()
    if not name or set(name) - NAME_CHARS:
        raise LexiconError(f"{origin}: name {name!r} must use only a-z, 0-9 and _")
    terms = raw.get("terms") or []
    if not isinstance(terms, list):
        raise LexiconError(f"{origin}: 'terms' must be a list, one term per line")
    clean = []
    for i, term in enumerate(terms, start=1):
        if not isinstance(term, (str, int, float)) or not str(term).strip():
            raise LexiconError(f"{origin}: term {i} is empty or not text")
        clean.append(" ".join(str(term).split()))
    patterns = raw.get("patterns") or []
    if not isinstance(patterns, list) or not all(isinstance(p, list) and p and all(isinstance(t, dict) for t in p)
                                                 for p in patterns):
        raise LexiconError(f"{origin}: 'patterns' must be a list of token-pattern lists")
    if not clean and not patterns:
        raise LexiconError(f"{origin}: no terms")
    tasks = raw.get("tasks") or []
    if isinstance(tasks, str):
        tasks = [tasks]
    combine = raw.get("combine") or []
    if isinstance(combine, str):
        combine = [combine]
    near = raw.get("near") or []
    if isinstance(near, str):
        near = [near]
    not_in = raw.get("not_in") or []
    if not isinstance(not_in, list) or not all(isinstance(t, str) and t.strip() for t in not_in):
        raise LexiconError(f"{origin}: 'not_in' must be a list of phrases, one per line")
    shows = raw.get("shows") or {}
    if not isinstance(shows, dict) or not all(isinstance(v, (str, list)) for v in shows.values()):
        raise LexiconError(f"{origin}: 'shows' must map a task to the value (or list of values) these words mark")
    pairs = tuple((str(t), str(v)) for t, vs in shows.items() for v in ([vs] if isinstance(vs, str) else vs))
    return Lexicon(name, tuple(dict.fromkeys(clean)), tuple(patterns), tuple(str(t) for t in tasks),
                   str(raw.get("description", "")), tuple(str(c).strip().lower() for c in combine),
                   tuple(str(c).strip().lower() for c in near), tuple(" ".join(t.split()) for t in not_in), pairs)


def load_lexicons(directory: str | Path | None = None) -> list[Lexicon]:
    """Every ``*.yml`` lexicon in ``directory`` (default: the packaged ones), sorted by name."""
    directory = Path(directory) if directory else default_dir()
    if not directory.is_dir():
        raise LexiconError(f"{directory}: no such lexicon directory")
    lexicons = []
    for path in sorted(directory.glob("*.y*ml")):
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise LexiconError(f"{path}: cannot read ({exc})") from None
        lexicons.append(parse_lexicon(text, str(path)))
    names = [lx.name for lx in lexicons]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise LexiconError(f"{directory}: lexicon name used twice: {', '.join(sorted(dupes))}")
    if not lexicons:
        raise LexiconError(f"{directory}: no lexicon files (*.yml)")
    for lx in lexicons:
        for key in ("combine", "near"):
            unknown = [c for c in getattr(lx, key) if c not in names]
            if unknown:
                raise LexiconError(f"{directory}/{lx.name}: '{key}' names unknown lexicons: {', '.join(unknown)}")
    return sorted(lexicons, key=lambda lx: lx.name)
