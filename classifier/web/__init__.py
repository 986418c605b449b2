"""The review page in the browser: ``create_app(ServeConfig(...))`` and ``python -m classifier serve``."""
from .app import ServeConfig, create_app

__all__ = ["ServeConfig", "create_app"]
