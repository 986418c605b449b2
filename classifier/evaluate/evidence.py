"""How well the evidence sentences match what a human charter quoted.

The charters of ``charted_studies.jsonl`` kept, for every study, the verbatim passages of the abstract
they charted it from (field ``evidence``: quotes in double quotes, separated by ``;``). An evidence
sentence *matches* a quote when they share at least half of the content words of the shorter of the
two (words are lower-cased runs of letters and digits; a short list of function words is left out;
words are counted with multiplicity). So a sentence that contains a quoted clause matches it, and so
does a quote that holds the sentence; two sentences that only share "the peer workers" do not.

Measured per study (each study counts once; a study whose charter quoted nothing is left out):

- ``role_top1`` / ``role_top3``: the first / any of the first three supporting role sentences matches
  some quote (of any task: the quotes are not split by task).
- ``phase_top1``: the first phase sentence matches some quote.
- ``bs_true_top1``: among studies charted *explicit* and predicted ``true``, the first boundary-spanner
  sentence matches some quote.
"""
from __future__ import annotations

import re
from collections import Counter

THRESHOLD = 0.5
_WORD = re.compile(r"[a-z0-9]+")
_QUOTE = re.compile(r"[\"\u201c]([^\"\u201c\u201d]+)[\"\u201d]")
FUNCTION_WORDS = frozenset(
    "a an the of and or in on at to for with as by from that this these those is are was were be been "
    "it its their they them we our".split())


def words(text: str) -> Counter:
    return Counter(w for w in _WORD.findall(str(text).lower()) if w not in FUNCTION_WORDS)


def overlap(sentence: str, quote: str) -> float:
    """Shared content words over the content words of the shorter text (0 when either has none)."""
    a, b = words(sentence), words(quote)
    shorter = min(sum(a.values()), sum(b.values()))
    return sum((a & b).values()) / shorter if shorter else 0.0


def matches(sentence: str, quotes: list[str], threshold: float = THRESHOLD) -> bool:
    return any(overlap(sentence, q) >= threshold for q in quotes)


def split_quotes(cell) -> list[str]:
    """The quotes of one ``evidence`` cell (the whole cell when it holds no quotation marks)."""
    text = str(cell or "").strip()
    if not text:
        return []
    if text[:1] in "\"\u201c" and text[-1:] in "\"\u201d":
        parts = re.split(r"[\"\u201d]\s*;\s*[\"\u201c]", text[1:-1])
    else:
        parts = [q for q in _QUOTE.findall(text)] or text.split(";")
    return [p.strip() for p in parts if len(words(p)) >= 2]


def supporting(items) -> list[dict]:
    """The evidence shown for the prediction itself: every item but counter-evidence."""
    return [e for e in items or [] if e.get("kind", "support") != "counter"]


def overlap_figures(predictions: list[dict], quotes: dict[str, list[str]], truth_bs: dict | None = None) -> dict:
    """``{measure: {"n": studies, "hits": int, "rate": float}}`` for the measures in the module text.

    ``predictions``: prediction dicts with ``evidence``; ``quotes``: ``{id: [quote, ...]}``;
    ``truth_bs``: ``{id: "true"/"false"}`` hand-charted boundary-spanner labels (for ``bs_true_top1``).
    """
    counts = {k: [0, 0] for k in ("role_top1", "role_top3", "phase_top1", "bs_true_top1")}

    def add(name, hit):
        counts[name][0] += 1
        counts[name][1] += bool(hit)

    for p in predictions:
        q = quotes.get(p.get("id"))
        if not q or p.get("status", "ok") != "ok":
            continue
        ev = p.get("evidence") or {}
        role = supporting(ev.get("role"))
        add("role_top1", role and matches(role[0]["text"], q))
        add("role_top3", any(matches(e["text"], q) for e in role[:3]))
        phases = supporting(ev.get("phases"))
        add("phase_top1", phases and matches(phases[0]["text"], q))
        if truth_bs is not None and truth_bs.get(p["id"]) == "true" and p.get("boundary_spanner") == "true":
            bs = supporting(ev.get("boundary_spanner"))
            add("bs_true_top1", bs and matches(bs[0]["text"], q))
    return {k: {"n": n, "hits": h, "rate": (h / n if n else None)} for k, (n, h) in counts.items()}


MEASURES = {"role_top1": "top role sentence", "role_top3": "any of the top three role sentences",
            "phase_top1": "top phase sentence",
            "bs_true_top1": "top boundary-spanner sentence (studies charted explicit and predicted true)"}


def evidence_summary(predictions: dict, quotes: dict[str, list[str]], truth_bs) -> dict:
    """For the report: ``{"n_quoted", "rows": [{"measure", "label", "n", "hits", "rate"}]}`` from the
    out-of-fold prediction dicts (``{id: prediction}``) of the studies whose charter quoted passages."""
    preds = [p for i, p in predictions.items() if i in quotes]
    truth = {i: v for i, v in dict(truth_bs).items()}
    figs = overlap_figures(preds, quotes, truth)
    return {"n_quoted": len(preds),
            "rows": [{"measure": k, "label": MEASURES[k], **figs[k]} for k in MEASURES]}
