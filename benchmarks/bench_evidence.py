#!/usr/bin/env python3
"""Evidence sentences against the charters' verbatim quotes, out of fold.

    python benchmarks/bench_evidence.py [--folds 5] [--seed 0]

The labelled corpus (``annotations/labels.csv``, texts in ``../shared/corpus``) is split into stratified
folds; a model with the shipped parameters is trained on the other folds and predicts each held-out
fold, so every study's evidence comes from a model that never saw it. Each study charted from its
abstract (``charted_studies.jsonl``) carries its charter's quotes; the figures are the share of those
studies whose top evidence sentence matches a quote (``classifier/evaluate/evidence.py`` defines the
match: at least half of the content words of the shorter text shared).

The evidence ranker learns nothing from the folds (its cues and weights are data, ``data/evidence.yml``),
but those were written and weighted while reading these same studies: the figures are a development
measure, not an estimate for unseen literature.
"""
import argparse
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CORPUS = REPO.parent / "shared" / "corpus"
TEXTS = [CORPUS / "studies.jsonl", CORPUS / "charted_studies.jsonl"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--show", type=int, default=0, help="print N studies whose top sentence misses a quote")
    ap.add_argument("--task", default="role", choices=("role", "phases", "boundary_spanner"),
                    help="the task --show looks at (default role)")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"error: {CORPUS}: the corpus is not there (this benchmark reads ../shared)")

    from sklearn.model_selection import StratifiedKFold

    from classifier.evaluate.cv import _truth, strata
    from classifier.evaluate.data import charter_quotes
    from classifier.evaluate.evidence import MEASURES, matches, overlap_figures, supporting
    from classifier.model.charting import ChartingModel
    from classifier.io.labels import read_labels
    from classifier.model.texts import load_labelled_texts

    labels = read_labels(REPO / "annotations" / "labels.csv")
    loaded = load_labelled_texts(TEXTS, labels)
    docs = loaded.documents
    for p in loaded.problems:
        print(f"warning: {p}", file=sys.stderr)
    labels = labels.reset_index()
    ids = [d.id for d in docs]
    truth, _ = _truth(labels, ids)
    y = strata(truth, ids, args.folds)
    quotes = charter_quotes(TEXTS)
    t0 = time.perf_counter()
    preds = []
    folds = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed).split(ids, y)
    for train, test in folds:
        model = ChartingModel().fit([docs[i] for i in train], labels)
        preds += model.predict([docs[i] for i in test])
    seconds = time.perf_counter() - t0
    bs_truth = {i: truth["boundary_spanner"][i] for i in ids}
    n_quoted = sum(1 for p in preds if p["id"] in quotes)
    print(f"{len(docs)} labelled studies, {n_quoted} with charters' quotes; {args.folds}-fold out-of-fold "
          f"predictions in {seconds:.0f} s")
    figs = overlap_figures(preds, quotes, bs_truth)
    for key, label in MEASURES.items():
        f = figs[key]
        rate = "n/a" if f["rate"] is None else f"{100 * f['rate']:.1f}%"
        print(f"{label:>66}: {rate} ({f['hits']}/{f['n']})")
    same = sum(1 for p in preds if p["id"] in quotes and supporting(p["evidence"]["role"])
               and supporting(p["evidence"]["phases"])
               and supporting(p["evidence"]["role"])[0]["text"] == supporting(p["evidence"]["phases"])[0]["text"])
    print(f"{'top role and top phase sentence are the same':>66}: {same}/{n_quoted}")
    # over every labelled study: a sentence for each predicted phase, no glued headings, checkable negatives
    ok = [p for p in preds if p["status"] == "ok"]
    bare = sum(1 for p in ok for v in p["phases"].split(";") if v and not any(
        e.get("label") == v for e in p["evidence"]["phases"]))
    n_phases = sum(len([v for v in p["phases"].split(";") if v]) for p in ok)
    glued = re.compile(r"(?:Background|Methods?|Results|Conclusions?|Objectives?|Aims?|Purpose|Findings)(?::|\s+[A-Z]|[A-Z][a-z])")
    items = [e for p in ok for t in ("role", "phases", "boundary_spanner") for e in p["evidence"][t]]
    print(f"{'predicted phases without a sentence':>66}: {bare}/{n_phases}")
    print(f"{'evidence sentences starting with a glued heading':>66}: {sum(bool(glued.match(e['text'])) for e in items)}/{len(items)}")
    neg = [p for p in ok if p["boundary_spanner"] == "false"]
    shown = sum(1 for p in neg if p["evidence"]["boundary_spanner"])
    probs = {round(p["p_boundary_spanner"], 4) for p in neg}
    tops = [p["evidence"]["boundary_spanner"][0]["score"] for p in neg if p["evidence"]["boundary_spanner"]]
    print(f"{'false boundary-spanner: with candidate sentences (and a note)':>66}: {shown}/{len(neg)} "
          f"({len(set(tops))} distinct best-candidate scores; {len(probs)} distinct probabilities)")
    shown = 0
    for p in preds:
        if shown >= args.show or p["id"] not in quotes:
            continue
        top = supporting(p["evidence"][args.task])
        if top and matches(top[0]["text"], quotes[p["id"]]):
            continue
        shown += 1
        print(f"\n{p['id']} ({p[args.task]}): top sentence: {top[0] if top else '(none)'}")
        for q in quotes[p["id"]]:
            print(f"   quote: {q}")


if __name__ == "__main__":
    main()
