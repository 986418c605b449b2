"""The predictions JSONL that ``predict.py --jsonl`` writes, held for the review page.

``load_predictions(path)`` returns a :class:`PredictionSet`: the prediction dicts in file order,
keyed by id, plus one-line messages for the lines that could not be used (read by
``classifier.io.predictions``, the one reader every consumer shares).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..io.predictions import PredictionsError, clean_prediction, read_predictions

__all__ = ["PredictionSet", "PredictionsError", "clean_prediction", "load_predictions"]


@dataclass
class PredictionSet:
    path: Path
    items: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_id = {p["id"]: p for p in self.items}

    def get(self, study_id: str) -> dict | None:
        return self.by_id.get(study_id)

    def __len__(self) -> int:
        return len(self.items)


def load_predictions(path: str | Path) -> PredictionSet:
    items, problems = read_predictions(path)
    return PredictionSet(Path(path), items, problems)
