"""How well each queue strategy puts the model's errors first, on held-out studies of the shared corpus.

    python benchmarks/bench_simulate.py [--labels annotations/labels.csv] [--splits 6]

For each of ``--splits`` stratified 70/30 splits, the model is trained on 70% of the labelled studies
and predicts the other 30%; each strategy orders those predictions, and the script prints the role
error rate in the least certain 20% of the queue divided by the overall role error rate (2.0 means
the head of the queue holds errors at twice the overall rate), plus the seconds per fit.
The learning curves themselves come from ``python -m classifier simulate``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from classifier.review.simulate import fit, prediction_dicts  # noqa: E402
from classifier.review.store import LabelStore  # noqa: E402
from classifier.review.strategies import rank  # noqa: E402
from classifier.review.texts import load_documents  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", default=str(REPO / "annotations" / "labels.csv"))
    ap.add_argument("--splits", type=int, default=8)
    ap.add_argument("--head", type=float, default=0.2)
    args = ap.parse_args()
    from sklearn.model_selection import train_test_split

    docs = load_documents([CORPUS / "studies.jsonl", CORPUS / "charted_studies.jsonl"])
    labels = LabelStore(args.labels).load()
    ids = [i for i in labels.index if i in docs and labels.loc[i, "role"] is not None]
    rules_all = None
    from classifier.review import strategies as S

    default = f"{S.DEFAULT_STRATEGY} (default, balance {S.DEFAULT_BALANCE:g})"
    variants = {default: (S.DEFAULT_STRATEGY, {}),
                **{f"{s} (balance {S.DEFAULT_BALANCE:g})": (s, {}) for s in ("uncertainty", "margin")
                   if s != S.DEFAULT_STRATEGY},
                "uncertainty, entropy part only": (lambda P: S._combine(S.task_entropy(P), None), {}),
                "uncertainty, shown-label doubt only": (lambda P: S._combine(S.shown_label_doubt(P), None), {}),
                "uncertainty (balance 0.5)": ("uncertainty", {"balance": 0.5}),
                "margin (balance 0.5)": ("margin", {"balance": 0.5}),
                "disagreement": ("disagreement", {}), "random": ("random", {})}
    ratios = {name: [] for name in variants}
    rates, fit_seconds = [], []
    for seed in range(args.splits):
        train, test = train_test_split(ids, test_size=0.3, random_state=seed,
                                       stratify=[labels.loc[i, "role"] for i in ids])
        t0 = time.perf_counter()
        model = fit([docs[i] for i in train], labels.loc[train], {})
        fit_seconds.append(time.perf_counter() - t0)
        preds = prediction_dicts(model, [docs[i] for i in test])
        if rules_all is None:
            rules_all = {p["id"]: p for p in model.rules_predict([docs[i] for i in ids])}
        rules = [rules_all[p["id"]] for p in preds]
        wrong = np.array([p["role"] != labels.loc[p["id"], "role"] for p in preds])
        rates.append(wrong.mean())
        k = max(1, round(args.head * len(preds)))
        for name, (strategy, kw) in variants.items():
            if callable(strategy):
                order = list(np.argsort(-strategy(preds), kind="stable"))
            else:
                order = [i for i, _ in rank(strategy, preds, seed=seed, rules=rules, **kw)]
            ratios[name].append(wrong[order[:k]].mean() / max(wrong.mean(), 1e-9))
    print(f"{len(ids)} studies with a role label; {args.splits} held-out splits of {len(test)}; "
          f"overall role error rate {np.mean(rates):.3f} (per split {', '.join(f'{r:.2f}' for r in rates)})")
    print(f"role error rate in the least certain {args.head:.0%} / overall rate:")
    for name, r in ratios.items():
        print(f"  {name:<40} mean {np.mean(r):.2f}  min {np.min(r):.2f}  per split "
              f"{' '.join(f'{x:.2f}' for x in r)}")
    print(f"fit: {np.mean(fit_seconds):.1f} s mean over {len(fit_seconds)} fits ({len(train)} studies)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
