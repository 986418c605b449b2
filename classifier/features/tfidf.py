"""TF-IDF over the document's title + abstract, stored compactly.

``CompactTfidfVectorizer`` is scikit-learn's ``TfidfVectorizer`` whose saved state holds the vocabulary
as two numpy arrays instead of a dict of tens of thousands of entries, and drops ``stop_words_`` (every
pruned term; scikit-learn documents it as safe to delete). That keeps a model file small and its load
well under a second.

Within ``shared_analysis()``, vectorizers with the same text settings (one per task) split each text into
n-grams once between them: scoring a full text's sentences for evidence transforms the same sentences
once per task.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

_shared = threading.local()
_ANALYSIS_PARAMS = ("analyzer", "ngram_range", "stop_words", "lowercase", "token_pattern", "strip_accents",
                    "preprocessor", "tokenizer", "encoding", "decode_error", "input")


@contextmanager
def shared_analysis():
    """Remember each text's n-grams, per analysis setting, until the block ends."""
    outer = getattr(_shared, "memo", None)
    _shared.memo = {} if outer is None else outer
    try:
        yield
    finally:
        _shared.memo = outer


class CompactTfidfVectorizer(TfidfVectorizer):
    def build_analyzer(self):
        analyze = super().build_analyzer()
        memo = getattr(_shared, "memo", None)
        if memo is None or not isinstance(self.analyzer, str):
            return analyze
        key = repr(tuple(getattr(self, name, None) for name in _ANALYSIS_PARAMS))
        seen = memo.setdefault(key, {})

        def shared(doc):
            grams = seen.get(doc)
            if grams is None:
                grams = seen[doc] = analyze(doc)
            return grams

        return shared

    def fit(self, raw_documents, y=None):
        super().fit(raw_documents, y)
        self.__dict__.pop("stop_words_", None)
        return self

    def fit_transform(self, raw_documents, y=None):
        X = super().fit_transform(raw_documents, y)
        self.__dict__.pop("stop_words_", None)
        return X

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("stop_words_", None)
        vocab = state.pop("vocabulary_", None)
        if vocab is not None:
            terms = sorted(vocab, key=vocab.get)
            state["vocabulary_terms_"] = np.array(terms, dtype=str)
            state["vocabulary_index_"] = np.array([vocab[t] for t in terms], dtype=np.int64)
        return state

    def __setstate__(self, state):
        state = dict(state)
        terms = state.pop("vocabulary_terms_", None)
        index = state.pop("vocabulary_index_", None)
        if terms is not None:
            state["vocabulary_"] = {str(t): int(i) for t, i in zip(terms.tolist(), index.tolist())}
        super().__setstate__(state)
