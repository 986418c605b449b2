"""Per-task estimators, calibration, evidence, safe persistence (``docs/ARCHITECTURE.md``, Model)."""
from .charting import ChartingModel, NotFittedError
from .persist import ModelError, TRUSTED_TYPES, load_model, save_model

__all__ = ["ChartingModel", "NotFittedError", "ModelError", "TRUSTED_TYPES", "load_model", "save_model"]
