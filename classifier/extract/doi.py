"""The DOI a PDF prints about itself (``doi:10.1186/...``, ``https://doi.org/10...``, ``DOI 10...``).

Looked for on the first pages (front matter, running headers and footers, licence lines: the places an
article names its own DOI), then in a "Cite this article as" block on the last pages (older BioMed
Central articles print it only there); never elsewhere in the references. A DOI labelled as such wins over a
bare one; a DOI split over two lines (``10.1136/bmjopen-2016-`` / ``012345``) is joined; a supplementary
file's DOI (``...s001``) is not the article's.
"""
from __future__ import annotations

import re

DOI = r"10\.\d{4,9}/[^\s\"<>]+"
LABELLED = re.compile(r"(?:\bdoi\b\s*[:.]?\s*|doi\.org/|dx\.doi\.org/)(" + DOI + r")", re.I)
BARE = re.compile(r"(?<![\w/.])(" + DOI + r")")
SUPPLEMENT = re.compile(r"\.s\d{3}$", re.I)
TRAILING = ".,;:)]}'\u2019\u201d"


def _clean(doi: str) -> str:
    doi = doi.rstrip(TRAILING)
    if doi.count("(") < doi.count(")"):
        doi = doi[: doi.rfind(")")]
    return doi


CITE = re.compile(r"\bcite this article\b|\bplease cite\b|\bto cite this article\b", re.I)


def find_doi(first: list[str], last: list[str] = ()) -> str:
    """The article's DOI: in ``first`` (the text lines of its first pages, in order), else labelled in the
    few lines after "Cite this article" in ``last`` (its last pages); '' when it prints none."""
    found = _search(first, (LABELLED, BARE))
    if found:
        return found
    for i, line in enumerate(last):
        if CITE.search(line):
            near = sorted(range(max(0, i - 3), min(len(last), i + 8)), key=lambda k: (abs(k - i), k))
            for k in near:  # the DOI nearest the "Cite this article" line, not a reference just above it
                found = _search([last[k]], (LABELLED,))
                if found:
                    return found
    return ""


def _search(lines: list[str], patterns) -> str:
    for pattern in patterns:
        for i, line in enumerate(lines):
            for match in pattern.finditer(line):
                doi = match.group(1)
                rest = line[match.end(1):]
                if doi.endswith(("-", "/", ".")) and not rest.strip() and i + 1 < len(lines):
                    follow = lines[i + 1].strip().split()
                    if follow and re.match(r"^[\w\-./()]+$", follow[0]):
                        doi += follow[0]  # wrapped at the end of the line
                doi = _clean(doi)
                if "/" in doi and doi.split("/", 1)[1] and not SUPPLEMENT.search(doi):
                    return doi
    return ""
