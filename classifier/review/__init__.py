"""Active-learning review: the label store, queue strategies, export/import, terminal session, simulate."""
from .store import Conflict, Decision, LabelStore, LabelStoreError, RecordResult

__all__ = ["Conflict", "Decision", "LabelStore", "LabelStoreError", "RecordResult"]
