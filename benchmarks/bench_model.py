#!/usr/bin/env python3
"""Model speed: import, load (shipped model), fit on the corpus, predict with and without evidence.

    python benchmarks/bench_model.py [--model DIR]

Prints seconds; reads the corpus from ../shared at run time.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CORPUS = REPO.parent / "shared" / "corpus"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    t = time.perf_counter()
    import classifier.model as cm  # noqa: F401  (scikit-learn, skops, pandas)
    import sklearn.calibration, sklearn.compose, sklearn.linear_model, skops.io  # noqa: F401,E401
    print(f"import model stack: {time.perf_counter() - t:.2f} s")
    loads = []
    for _ in range(5):
        t = time.perf_counter()
        model = cm.load_model(args.model)
        loads.append(time.perf_counter() - t)
    print(f"load_model: median {statistics.median(loads):.3f} s (first {loads[0]:.3f} s, 5 runs; imports excluded)")

    import pandas as pd

    from classifier.model.texts import load_texts
    docs, _ = load_texts([CORPUS / "studies.jsonl", CORPUS / "charted_studies.jsonl"])
    labels = pd.read_csv(REPO / "annotations" / "labels.csv", dtype=str, keep_default_na=False)
    from classifier.features.table import _cache
    _cache.clear()
    t = time.perf_counter()
    model.predict_proba_table(docs)
    print(f"features (spaCy rules) for {len(docs)} abstracts, cold: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    fitted = cm.ChartingModel(**model.get_params()).fit(docs, labels)
    print(f"fit on {len(docs)} abstracts (features cached): {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    fitted.predict_proba_table(docs)
    dt = time.perf_counter() - t
    print(f"probabilities only: {dt:.2f} s ({len(docs) / dt:.0f} docs/s)")
    t = time.perf_counter()
    fitted.predict(docs)
    dt = time.perf_counter() - t
    print(f"predict with evidence: {dt:.2f} s ({len(docs) / dt:.0f} docs/s)")


if __name__ == "__main__":
    main()
