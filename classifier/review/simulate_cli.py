"""``python -m classifier simulate --labels CSV --texts PATH --out DIR``: replay active learning.

Writes ``DIR/simulation.json`` (design.md shape, plus spread across seeds, the stopping signal and
a comparison with random), ``DIR/learning_curve_<task>.png`` per task and ``DIR/learning_curves.png``,
and prints, for every task, each strategy's mean macro-F1 over the curve and its gain over random.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..schema import charting_task_names
from .strategies import STRATEGIES


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m classifier simulate",
                                description="Replay active learning on fully labelled data.")
    p.add_argument("--labels", required=True, metavar="CSV", help="labels file (annotations/labels.csv)")
    p.add_argument("--texts", required=True, action="extend", nargs="+", metavar="PATH",
                   help="records file or folder of PDFs/.txt with the studies' texts (repeatable)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--strategies", default=",".join(STRATEGIES),
                   help=f"comma-separated (default {','.join(STRATEGIES)}; random is always added)")
    p.add_argument("--seeds", type=int, default=5, metavar="N", help="number of seeds (default 5)")
    p.add_argument("--initial", type=int, default=20, help="studies labelled before the first round (default 20)")
    p.add_argument("--batch", type=int, default=15, help="studies queried per round (default 15)")
    p.add_argument("--rounds", type=int, default=6, help="rounds (default 6; fewer if the pool runs out)")
    p.add_argument("--test-size", type=float, default=0.3, help="held-out share, stratified by role (default 0.3)")
    p.add_argument("--kappa", type=float, default=0.9, help="stopping threshold on the mean kappa (default 0.9)")
    p.add_argument("--window", type=int, default=3, help="rounds the kappa is averaged over (default 3)")
    p.add_argument("--balance", type=float, default=None,
                   help="rare-class rebalancing of the uncertainty strategy, 0..1 (default: the strategy's)")
    p.add_argument("-j", "--jobs", type=int, default=1, help="runs in parallel processes (default 1)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    return p


def err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from .simulate import SimulationConfig, plot, simulate
    from ..io.labels import LabelsError
    from .store import LabelStore
    from .texts import TextsError, load_documents

    labels_path = Path(args.labels)
    if not labels_path.is_file():
        err(f"{labels_path}: no such file")
        return 2
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        err(f"{out}: cannot create ({exc.strerror or exc})")
        return 2
    try:
        strategies = tuple(s.strip() for s in args.strategies.split(",") if s.strip())
        config = SimulationConfig(strategies=strategies, seeds=tuple(range(args.seeds)), initial=args.initial,
                                  batch=args.batch, rounds=args.rounds, test_size=args.test_size,
                                  kappa=args.kappa, window=args.window,
                                  **({} if args.balance is None else {"balance": args.balance}))
    except ValueError as exc:
        err(str(exc))
        return 2
    if args.seeds < 1 or args.batch < 1 or args.rounds < 1 or not 0 < args.test_size < 1:
        err("--seeds, --batch and --rounds must be at least 1, --test-size between 0 and 1")
        return 2
    try:
        frame = LabelStore(labels_path).load()
    except LabelsError as exc:
        err(str(exc))
        return 2
    labels = frame[frame[list(charting_task_names())].notna().any(axis=1)]
    warnings: list[str] = []
    try:
        documents = load_documents(args.texts, ids=set(labels.index), warn=warnings.append)
    except TextsError as exc:
        err(str(exc))
        return 2
    for w in warnings[:10]:
        print(f"warning: {w}", file=sys.stderr)
    labels = labels.loc[[i for i in labels.index if i in documents]]
    if labels["role"].notna().sum() < 20:
        err(f"only {labels['role'].notna().sum()} labelled studies have a text: too few to simulate")
        return 1
    progress = None if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    try:
        result = simulate(documents, labels, config, progress=progress, n_jobs=args.jobs)
    except ValueError as exc:
        err(f"simulation stopped: {exc}")
        return 1
    (out / "simulation.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    plots = plot(result, out)
    print(report(result))
    print(f"wrote {out / 'simulation.json'} and {', '.join(p.name for p in plots)}")
    return 0


def report(result: dict) -> str:
    cmp = result["comparison"]
    lines = [f"{result['corpus']['n_studies']} labelled studies, {len(result['config']['seeds'])} seeds, "
             f"{len(next(iter(result['strategies'].values()))['n_labelled'])} points per curve"]
    for t in charting_task_names():
        c = cmp[t]
        pd = c["paired_difference_vs_random"]
        parts = [f"random {c['random']:.3f}"] + [
            f"{n} {c['mean_over_curve'][n]:.3f} ({c['difference_vs_random'][n]:+.3f}, better on "
            f"{pd[n]['seeds_better']}/{pd[n]['seeds']} seeds)"
            for n in c["mean_over_curve"] if n != "random"]
        lines.append(f"{t}: mean macro-F1 over the curve: " + ", ".join(parts))
    best = cmp["best_by_role"]
    lines.append(f"best strategy by role: {best}; vs random: " +
                 ", ".join(f"{t} {d:+.3f}" for t, d in cmp["best_by_role_vs_random"].items()))
    for name, e in result["strategies"].items():
        s = e["stopping"]
        where = (f"round {s['stop_round']} ({s['stop_n_labelled']} labelled)" if s["stop_round"] is not None
                 else "not reached")
        per_task = ", ".join(f"{t} {'round ' + str(r) if r is not None else 'not reached'}"
                             for t, r in s["stop_round_per_task"].items())
        lines.append(f"stopping signal ({name}): {where}; per seed {s['stop_round_per_seed']}; per task: {per_task}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
