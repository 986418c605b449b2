"""The document model every stage shares: Document -> sections -> sentences.

Plain dataclasses. Sentence offsets are character offsets into their section's ``text``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Canonical section names (../shared/design.md), in their usual order.
SECTION_NAMES = (
    "title", "abstract", "introduction", "methods", "results",
    "discussion", "conclusion", "references", "other",
)

# Sections that never feed features or evidence (unless a text has nothing else: see content_sections)
NON_CONTENT = ("references", "other")


@dataclass
class Sentence:
    text: str
    start: int  # offset into the section's text
    end: int


@dataclass
class Section:
    name: str            # canonical name, one of SECTION_NAMES
    heading: str = ""    # the heading as printed ("" when none)
    text: str = ""
    sentences: list[Sentence] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"name": self.name, "heading": self.heading, "text": self.text}


@dataclass
class Document:
    source: str                      # path or record id the document came from
    id: str = ""                     # record id, else file name without extension
    pages: int = 0                   # 0 for records and plain text
    sections: list[Section] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)  # title, doi, year ... when known
    ocr_pages: list[int] = field(default_factory=list)  # pages whose text was read by OCR (1-based)

    @property
    def text(self) -> str:
        """The whole document's text in reading order, sections separated by blank lines."""
        return "\n\n".join(s.text for s in self.sections if s.text)

    @property
    def title(self) -> str:
        for s in self.sections:
            if s.name == "title":
                return s.text
        return self.meta.get("title", "")

    def body_sections(self) -> list[Section]:
        """Every section except references (which never feed features or evidence)."""
        return [s for s in self.sections if s.name != "references"]

    def content_sections(self) -> list[Section]:
        """The sections that feed features and evidence: all but references and back matter
        (``other``). A text in which no heading was found at all (a pasted ``.txt``) is one ``other``
        section: then that section is the text."""
        usable = [s for s in self.sections if s.text and s.text.strip()]
        sections = [s for s in usable if s.name not in NON_CONTENT]
        return sections or [s for s in usable if s.name == "other"]

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "pages": self.pages,
            "sections": [s.to_dict() for s in self.sections],
            "warnings": list(self.warnings),
            "ocr_pages": list(self.ocr_pages),
        }

    @classmethod
    def from_dict(cls, data: dict, id: str = "") -> "Document":
        """Rebuild from ``to_dict`` output (sentences are recomputed by the caller)."""
        return cls(
            source=data.get("source", ""),
            id=id or data.get("id", ""),
            pages=int(data.get("pages", 0) or 0),
            sections=[Section(s["name"], s.get("heading", ""), s.get("text", "")) for s in data.get("sections", [])],
            warnings=list(data.get("warnings", [])),
            meta=dict(data.get("meta", {})),
            ocr_pages=[int(n) for n in data.get("ocr_pages", [])],
        )

    @classmethod
    def from_record(cls, id: str, title: str = "", abstract: str = "", source: str = "", **meta) -> "Document":
        """A title+abstract record (reference-manager export, corpus jsonl) as a Document."""
        sections = []
        if title and title.strip():
            sections.append(Section("title", "", " ".join(title.split())))
        if abstract and abstract.strip():
            sections.append(Section("abstract", "Abstract", abstract.strip()))
        meta = {k: v for k, v in meta.items() if v not in (None, "")}
        if title:
            meta.setdefault("title", " ".join(title.split()))
        return cls(source=source or id, id=id, sections=sections, meta=meta)
