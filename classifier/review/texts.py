"""Documents for retraining and re-predicting: records files and folders of PDFs / .txt files.

``--texts`` may be given several times; a records file (.jsonl, .csv, .tsv, .xlsx, .ris) gives one
document per record, a folder gives one per ``<id>.pdf`` / ``<id>.txt`` file (searched recursively).
A record or file that cannot be read is reported and skipped; the others are used.
"""
from __future__ import annotations

from ..model.texts import TextsError, load_texts

__all__ = ["TextsError", "load_documents"]


def load_documents(paths, ids=None, warn=None) -> dict:
    """``{id: Document}`` for every readable record or file under ``paths`` (first occurrence wins).

    ``ids``: only these studies (saves extracting PDFs nobody needs). ``warn``: called with one-line
    messages for what was skipped. A path that cannot be used at all raises TextsError.
    """
    docs, problems = load_texts(paths or [], ids=ids, strict=True)
    for message in problems:
        if warn is not None:
            warn(message)
    return {doc.id: doc for doc in docs}
