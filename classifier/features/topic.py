"""``peer_terms``: how often a document mentions peers, peer workers or lived experience.

A search for new literature returns studies on other topics too. The model labels every document it
is given, so a document that never mentions peers has labels that mean little; this count lets a
reviewer sort those to the top and check them (0 = probably not a study of peer workers). It is a
count of matches of ``data/topic.yml`` (terms and patterns over lemmas, like the model's lexicons)
in the sections that feed the model, not a learned eligibility decision.
"""
from __future__ import annotations

from pathlib import Path

from ..document import Document
from .lexicons import parse_lexicon
from .rules import RuleMatcher

TOPIC_FILE = Path(__file__).resolve().parents[1] / "data" / "topic.yml"


class TopicCounter:
    """``count(document)``: matches of the topic lexicon in the document's content sections."""

    def __init__(self, path: str | Path = TOPIC_FILE):
        self.path = Path(path)
        self._matcher = None

    def count(self, document: Document) -> int:
        if self._matcher is None:
            self._matcher = RuleMatcher([parse_lexicon(self.path.read_text("utf-8"), str(self.path))])
        texts = [s.text for s in document.content_sections()]
        return sum(len(found) for found in self._matcher.match_many(texts)) if texts else 0


_default: list = []


def peer_terms(document: Document) -> int:
    """The count with the packaged ``data/topic.yml`` (built once per process)."""
    if not _default:
        _default.append(TopicCounter())
    return _default[0].count(document)
