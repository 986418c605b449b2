"""Safe persistence: skops files loaded only when every type in them is on the project's trusted list.

A model directory holds ``model.skops`` (the fitted ChartingModel), ``model_card.json`` and
``MODEL_CARD.md``. Nothing in it can run code on load: ``skops.io.get_untrusted_types`` lists the types
the file would build, and any type not in ``TRUSTED_TYPES`` makes ``load_model`` refuse with a one-line
``ModelError``.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..atomic import write_atomic
from ..locations import MODEL_FILE, default_model_path, missing_model_message

CARD_JSON = "model_card.json"
CARD_MD = "MODEL_CARD.md"

# Every type a ChartingModel file may contain beyond skops' own defaults (builtins, numpy arrays).
TRUSTED_TYPES = frozenset({
    "classifier.model.charting.ChartingModel",
    "classifier.model.eligibility.EligibilityModel",
    "classifier.features.tfidf.CompactTfidfVectorizer",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.calibration._TemperatureScaling",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.dummy.DummyClassifier",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._function_transformer.FunctionTransformer",  # ColumnTransformer's "passthrough"
    "sklearn.utils._bunch.Bunch",
    "builtins.slice",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "numpy.ndarray",
    "numpy.str_",
    "numpy.bool_",
    "scipy.sparse._csr.csr_matrix",
    "scipy.sparse._csc.csc_matrix",
})


def _skops_io():
    """``skops.io``, imported without its import-time walk over every scikit-learn estimator.

    On import, skops builds its default trusted list from ``sklearn.utils.all_estimators()``, which
    imports every scikit-learn module (about 0.6 s, paid again by each batch worker). This module never
    relies on that default: every type beyond builtins and numpy must be on ``TRUSTED_TYPES``. Skipping
    the walk empties skops' default list of scikit-learn types, so loading only gets stricter.
    """
    import sys

    if "skops.io" in sys.modules:
        return sys.modules["skops.io"]
    import sklearn.utils

    walk = sklearn.utils.all_estimators
    sklearn.utils.all_estimators = lambda *args, **kwargs: []
    try:
        import skops.io
    finally:
        sklearn.utils.all_estimators = walk
    return skops.io


class ModelError(Exception):
    """A model that cannot be loaded or saved (one-line message naming the file)."""


def _model_file(path: Path) -> Path:
    return path / MODEL_FILE if path.is_dir() else path


def check_trusted(file: Path) -> list[str]:
    """The file's non-default types, after checking every one is trusted; raises ModelError otherwise."""
    sio = _skops_io()

    try:
        types = sio.get_untrusted_types(file=str(file))
    except Exception as exc:  # a corrupt or foreign file
        raise ModelError(f"{file}: not a readable model file ({type(exc).__name__}: {exc})".splitlines()[0]) from None
    foreign = sorted(set(types) - TRUSTED_TYPES)
    if foreign:
        raise ModelError(f"{file}: refused to load: it contains types outside the project's trusted list "
                         f"({', '.join(foreign[:5])}{' ...' if len(foreign) > 5 else ''})")
    return list(types)


def model_identity(path: str | Path | None = None) -> dict:
    """What an audit trail names a model by: ``model_name`` and ``model_version`` (the name and the
    training time in its card) and ``model_hash``, the SHA-256 of the model file's bytes (two files with
    the same hash make the same predictions). Raises ModelError when there is no model file."""
    import hashlib
    import json

    path = Path(path) if path is not None else default_model_path()
    file = _model_file(path)
    if not file.is_file():
        raise ModelError(f"{file}: no model file")
    digest = hashlib.sha256()
    with open(file, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    card = {}
    card_file = file.with_name(CARD_JSON)
    if card_file.is_file():
        try:
            card = json.loads(card_file.read_text("utf-8"))
        except (OSError, ValueError):
            card = {}
    return {"model_name": str(card.get("name") or file.parent.name),
            "model_version": str(card.get("version") or card.get("date") or ""),
            "model_hash": digest.hexdigest()}


def load_model(path: str | Path | None = None):
    """The fitted ``ChartingModel`` in ``path`` (a model directory or .skops file; None = shipped model)."""
    sio = _skops_io()

    from .charting import ChartingModel

    shipped = path is None
    path = Path(path) if path is not None else default_model_path()
    file = _model_file(path)
    if shipped and not file.is_file():
        raise ModelError(missing_model_message(path))
    if not file.is_file():
        hint = " (train one with: python train.py --labels annotations/labels.csv --texts ... --out DIR)"
        raise ModelError(f"{file}: no model file{hint}")
    trusted = check_trusted(file)
    try:
        model = sio.load(str(file), trusted=trusted)
    except Exception as exc:
        raise ModelError(f"{file}: cannot load model ({type(exc).__name__}: {exc})".splitlines()[0]) from None
    if not isinstance(model, ChartingModel) or not hasattr(model, "estimators_"):
        raise ModelError(f"{file}: not a fitted ChartingModel")
    return model


def save_model(model, directory: str | Path, card: dict | None = None) -> Path:
    """Write ``model.skops`` + model card into ``directory`` (created; files replaced atomically)."""
    sio = _skops_io()

    from .card import render_markdown

    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"{directory}: cannot create model directory ({exc.strerror or exc})") from None
    if not hasattr(model, "estimators_"):
        raise ModelError(f"{directory}: refusing to save an unfitted model")
    card = dict(card or {})
    payloads = {MODEL_FILE: sio.dumps(model),
                CARD_JSON: (json.dumps(card, indent=2, sort_keys=False, default=str) + "\n").encode("utf-8"),
                CARD_MD: render_markdown(card).encode("utf-8")}
    for name, data in payloads.items():
        try:
            write_atomic(directory / name, data)
        except OSError as exc:
            raise ModelError(f"{directory / name}: cannot write ({exc.strerror or exc})") from None
    check_trusted(directory / MODEL_FILE)  # what we wrote must load
    return directory
