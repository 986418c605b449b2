"""Shared fixtures: where ../shared lives (PDFs, corpus, seed), read at run time, never copied."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PEER_CHARTING_SHARED", REPO.parent / "shared"))
PDFS = SHARED / "pdfs"
CORPUS = SHARED / "corpus"


@pytest.fixture
def env(tmp_path):
    """The environment for running the tool as a subprocess: its own cache directory, no debug output."""
    e = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg-cache"))
    e.pop("PEER_CHARTING_DEBUG", None)
    return e


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}: tests read real PDFs and the corpus from there")
    return SHARED


@pytest.fixture(scope="session")
def pdf_dir(shared) -> Path:
    return shared / "pdfs"


@pytest.fixture(scope="session")
def corpus_dir(shared) -> Path:
    return shared / "corpus"


@pytest.fixture(scope="session")
def shipped_labels(corpus_dir, tmp_path_factory) -> Path:
    """The labels as shipped, rebuilt from ../shared/corpus into a temporary file: tests never read
    annotations/labels.csv, which holds the user's own review decisions once they save some."""
    from classifier.model.build_labels import build

    path = tmp_path_factory.mktemp("shipped") / "labels.csv"
    build(corpus_dir)[0].to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path
