#!/usr/bin/env python3
"""How far the labels can be trusted on literature the model has not seen: nested cross-validation,
the cross-source check, and the accept-unread statuses (coverage and error of 'confident' labels).

    python benchmarks/bench_trust.py [--repeats 2] [--labels annotations/labels.csv]

Every setting the model tunes is chosen inside each training fold (the model does it in ``fit``), so
the cross-validated figures are nested. Reads the corpus from ../shared at run time.
"""
import argparse
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CORPUS = REPO.parent / "shared" / "corpus"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labels", default=str(REPO / "annotations" / "labels.csv"))
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    from classifier.evaluate.cv import RATES, cross_source, run_cv, summarise
    from classifier.io.labels import read_labels
    from classifier.model.texts import load_labelled_texts

    labels = read_labels(args.labels)
    loaded = load_labelled_texts([str(CORPUS / "studies.jsonl"), str(CORPUS / "charted_studies.jsonl")], labels)
    docs, labels = loaded.documents, labels.reset_index()
    t0 = time.perf_counter()
    res = run_cv(docs, labels, ablations={}, repeats=args.repeats, n_splits=args.folds, learning_fractions=(),
                 examples=False)
    summary = summarise(res)
    print(f"nested CV: {res.scheme} ({time.perf_counter() - t0:.0f} s)")
    print(f"{'task':>17} {'macro-F1':>9} {'accuracy':>9} {'kappa':>6}  per value F1")
    for t, e in summary.items():
        m = e["model"]
        per = ", ".join(f"{v} {c['f1']:.2f}" for v, c in m["per_class"].items())
        print(f"{t:>17} {m['macro_f1']:9.3f} {m['accuracy']:9.3f} {m['kappa']:6.3f}  {per}")
    print("\naccept unread, out of fold: requested error rate -> coverage of 'confident' labels, their error")
    print("(errors against what the text read can show: full-text labels of words the abstract lacks left out)")
    for t, e in summary.items():
        a = e["model"]["accept_unread"]
        print(f"{t:>17} " + "  ".join(f"{r}: {100 * a[str(r)]['coverage']:.0f}% err {a[str(r)]['error']:.3f}"
                                      for r in RATES))
    print("the same, counted against every label")
    for t, e in summary.items():
        if "accept_unread_every_label" in e["model"]:
            a = e["model"]["accept_unread_every_label"]
            print(f"{t:>17} " + "  ".join(f"{r}: {100 * a[str(r)]['coverage']:.0f}% err {a[str(r)]['error']:.3f}"
                                          for r in RATES) + f"  ({e['model']['labels_text_cannot_show']} such labels)")
    print("\ncross-source check (one fit per direction)")
    ext = cross_source(docs, labels)
    for d in ext["directions"].values():
        print(f"  trained on {d['train']} ({d['n_train_studies']}), tested on {d['test']} ({d['n_test_studies']})")
        for t, m in d.get("tasks", {}).items():
            mm = m["model"]
            extra = f"  F1 of true {mm['f1_true']:.3f} (P {mm['per_class']['true']['precision']:.2f}, " \
                    f"R {mm['per_class']['true']['recall']:.2f})" if "f1_true" in mm else ""
            print(f"{t:>19} macro-F1 {mm['macro_f1']:.3f} (majority {m['baselines']['majority']['macro_f1']:.3f}, "
                  f"rules {m['baselines']['rules']['macro_f1']:.3f}) n={mm['n']}{extra}")


if __name__ == "__main__":
    main()
