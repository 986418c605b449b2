"""Features: rule features from codebook lexicons (``data/lexicons/*.yml``) and the document table
that the TF-IDF + rules ``ColumnTransformer`` of :mod:`classifier.model` reads."""
from .lexicons import Lexicon, LexiconError, load_lexicons
from .rules import RuleMatcher, Match
from .table import DocumentFeatures, featurize, FRONT_SECTIONS, BODY_EXCLUDED

__all__ = [
    "Lexicon", "LexiconError", "load_lexicons", "RuleMatcher", "Match",
    "DocumentFeatures", "featurize", "FRONT_SECTIONS", "BODY_EXCLUDED",
]
