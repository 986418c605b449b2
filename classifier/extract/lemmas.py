"""``lookup_lemmas``: spaCy's lookup lemmatizer (the ``lemma_lookup`` table of spacy-lookups-data) applied
to the lower-cased word, one array operation per document instead of one Python call per token.

spaCy's own ``Lemmatizer(mode="lookup")`` sets ``token.lemma_`` token by token, which made lemmas the
slowest step of featurising a full text; and its table is case-sensitive ("Bridging" is not found), so
the text had to be lower-cased and tokenized a second time. This component looks up each distinct
lower-cased word once (``table.get(word, word)``, the first lemma where the table lists several; then
remembered) and writes all lemmas with ``Doc.from_array``: "Bridging", "bridging" -> "bridge".
"""
from __future__ import annotations

NAME = "lookup_lemmas"


class LookupLemmas:
    def __init__(self, vocab, name: str = NAME):
        self.vocab = vocab
        self.name = name
        self.table = None
        self._memo: dict[int, int] = {}

    def initialize(self, get_examples=None, *, nlp=None, lookups=None):
        if lookups is None:
            from spacy.lookups import load_lookups

            lookups = load_lookups(lang=self.vocab.lang, tables=["lemma_lookup"])  # from the installed package
        self.table = lookups.get_table("lemma_lookup")
        self._memo.clear()

    def _lemma(self, lower: int) -> int:
        text = self.vocab.strings[lower]
        lemma = self.table.get(text, text)
        if not isinstance(lemma, str):
            lemma = lemma[0] if lemma else text
        return self.vocab.strings.add(lemma)

    def __call__(self, doc):
        import numpy as np
        from spacy.attrs import LEMMA, LOWER

        if self.table is None:
            self.initialize()
        if not len(doc):
            return doc
        lowers = doc.to_array(LOWER)
        unique, inverse = np.unique(lowers, return_inverse=True)
        memo = self._memo
        lemmas = np.empty(len(unique), dtype=np.uint64)
        for k, lower in enumerate(unique.tolist()):
            lemma = memo.get(lower)
            if lemma is None:
                lemma = memo[lower] = self._lemma(lower)
            lemmas[k] = lemma
        doc.from_array([LEMMA], lemmas[inverse].reshape(-1, 1))
        return doc

    def pipe(self, stream, batch_size: int = 128):
        for doc in stream:
            yield self(doc)


def register() -> None:
    """Make ``nlp.add_pipe("lookup_lemmas")`` available (once; spaCy's component registry)."""
    from spacy.language import Language

    if not Language.has_factory(NAME):
        Language.factory(NAME, func=lambda nlp, name: LookupLemmas(nlp.vocab, name))
