"""Eligibility, cross-validated on the corpus and the unrelated shared PDFs; prints the figures.

    python benchmarks/bench_eligibility.py [--shared ../shared] [--labels annotations/labels.csv]
                                           [--folds 5] [--repeats 2] [--json OUT.json]

Every setting of the model (regularisation, TF-IDF or not, the threshold) is chosen inside each
training fold. Prints, for the model and each baseline: recall of ``true`` (in-scope studies kept),
recall of ``false`` over the near-misses of the corpus (caught) and over the unrelated PDFs, and the
agreement of the exclusion reason with the charted one among the near-misses caught. The targets:
near-misses caught >= 0.75 while in-scope kept >= 0.95; every unrelated PDF excluded.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=str(REPO.parent / "shared"))
    ap.add_argument("--labels", default=str(REPO / "annotations" / "labels.csv"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--json", help="write the full results (per-fold settings, out-of-fold predictions)")
    args = ap.parse_args(argv)

    from classifier.evaluate.eligibility import cross_validate
    from classifier.io.labels import read_labels
    from classifier.model.texts import load_texts

    shared = Path(args.shared)
    paths = [shared / "corpus" / "studies.jsonl", shared / "corpus" / "charted_studies.jsonl", shared / "pdfs"]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"error: not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    labels = read_labels(args.labels)
    t0 = time.perf_counter()
    docs, problems = load_texts(paths)
    for p in problems:
        print(f"warning: {p}", file=sys.stderr)
    print(f"texts: {len(docs)} read in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    res = cross_validate(docs, labels.reset_index(), folds=args.folds, repeats=args.repeats,
                         progress=lambda i, n: print(f"  fold {i}/{n}", file=sys.stderr, flush=True))
    print(f"cross-validation: {args.repeats} x {args.folds} folds in {time.perf_counter() - t0:.0f} s")
    groups = res["groups"]
    n = groups["model"]
    print(f"studies: {n['in_scope']['n'] // args.repeats} in scope, {n['near_miss']['n'] // args.repeats} near-misses, "
          f"{n.get('unrelated_pdf', {}).get('n', 0) // args.repeats} unrelated PDFs (each predicted {args.repeats}x)")
    print(f"{'':12} {'in scope kept':>14} {'near-misses caught':>19} {'unrelated PDFs':>15} {'macro-F1':>9}")
    for name in ("model", "majority", "peer_terms", "rules"):
        g = groups[name]
        m = res["eligible"]["model"] if name == "model" else res["eligible"]["baselines"][name]
        print(f"{name:12} {g['in_scope']['decided_right']:14.3f} {g['near_miss']['decided_right']:19.3f} "
              f"{g.get('unrelated_pdf', {}).get('decided_right', float('nan')):15.3f} {m['macro_f1']:9.3f}")
    m = res["eligible"]["model"]["per_class"]
    print(f"model per class: true P {m['true']['precision']:.3f} R {m['true']['recall']:.3f}; "
          f"false P {m['false']['precision']:.3f} R {m['false']['recall']:.3f}")
    r = res["reasons"]
    if r["n"]:
        print(f"exclusion reason = charted reason: {r['agreement']:.3f} of {r['n']} excluded studies caught")
        print("  " + ", ".join(f"{k} {v['same_reason']}/{v['n']}" for k, v in r["per_reason"].items()))
    chosen = {}
    for s in res["settings"]:
        key = f"C={s['C']}, tfidf={s['use_tfidf']}"
        chosen[key] = chosen.get(key, 0) + 1
    print("settings chosen in the training folds: " + "; ".join(f"{k} ({v}x)" for k, v in chosen.items()))
    g = groups["model"]
    counts = {k: (round(v["decided_right"] * v["n"]), v["n"]) for k, v in g.items()}
    pdf = g.get("unrelated_pdf", {}).get("decided_right", 0.0)
    kept, caught = g["in_scope"]["decided_right"], g["near_miss"]["decided_right"]
    print(f"targets: near-misses caught {counts['near_miss'][0]}/{counts['near_miss'][1]} = {caught:.4f} "
          f"(>= 0.75: {'met' if caught >= 0.75 else 'NOT met'}), in scope kept {counts['in_scope'][0]}/"
          f"{counts['in_scope'][1]} = {kept:.4f} (>= 0.95: {'met' if kept >= 0.95 else 'NOT met'}), unrelated PDFs "
          f"excluded {pdf:.3f} (all: {'met' if pdf == 1.0 else 'NOT met'})")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1, default=str) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
