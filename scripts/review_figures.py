"""Write the "Measured figures" section of docs/review.md from fresh runs (nothing typed in by hand).

    python scripts/review_figures.py [--seeds 5] [--splits 8] [--check]

Runs, on the labels shipped with the repository (rebuilt from ../shared/corpus, so decisions saved in
annotations/labels.csv do not move the figures) and the shared corpus texts:

- ``python -m classifier simulate`` (learning curves per queue strategy, the stopping signal), and
- ``python benchmarks/bench_simulate.py`` (how well each strategy puts the model's errors first),

then replaces the text between the ``<!-- figures -->`` markers of docs/review.md with their figures,
the commands that produced them, the date and the commit. ``--check`` only says whether the section is
there and was written by this script (exit 1 if not).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DOC = REPO / "docs" / "review.md"
CORPUS = REPO.parent / "shared" / "corpus"
START = "<!-- figures: written by python scripts/review_figures.py; do not edit by hand -->"
END = "<!-- end of figures -->"


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def simulation_table(result: dict) -> list[str]:
    from classifier.schema import charting_task_names as task_names

    cmp = result["comparison"]
    names = [n for n in next(iter(cmp[t] for t in task_names()))["mean_over_curve"] if n != "random"]
    lines = ["| mean macro-F1 over the curve | random | " + " | ".join(names) + " |",
             "|---|---|" + "---|" * len(names)]
    for t in task_names():
        c = cmp[t]
        cells = [f"{c['mean_over_curve'][n]:.3f} ({c['difference_vs_random'][n]:+.3f}, "
                 f"{c['paired_difference_vs_random'][n]['seeds_better']}/"
                 f"{c['paired_difference_vs_random'][n]['seeds']} seeds)" for n in names]
        lines.append(f"| {t} | {c['random']:.3f} | " + " | ".join(cells) + " |")
    return lines


def section(result: dict, sim_cmd: str, bench_cmd: str, bench_out: str) -> str:
    stops = []
    for name, e in result["strategies"].items():
        s = e["stopping"]
        stops.append(f"- {name}: " + (f"round {s['stop_round']} ({s['stop_n_labelled']} studies labelled)"
                                      if s["stop_round"] is not None else "not reached") +
                     "; per task: " + ", ".join(f"{t} {'round ' + str(r) if r is not None else 'not reached'}"
                                               for t, r in s["stop_round_per_task"].items()))
    cfg = result["config"]
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        START,
        f"Written {when} at commit {_commit()} on the shipped labels ({result['corpus']['n_studies']} labelled "
        "studies with a text). They move when the model changes: rerun `python scripts/review_figures.py`.",
        "",
        f"`{sim_cmd}` ({len(cfg['seeds'])} seeds; {cfg['initial']} + {cfg['rounds']} × {cfg['batch']} studies; "
        f"{cfg['test_size']:.0%} held out):",
        "",
        *simulation_table(result),
        "",
        "(in brackets: difference from random, and on how many seeds the strategy beat random on the same "
        "split and start.) Stopping signal (mean kappa over the tasks ≥ "
        f"{cfg['kappa']} over {cfg['window']} rounds):",
        "",
        *stops,
        "",
        f"`{bench_cmd}`:",
        "",
        "```",
        bench_out.strip(),
        "```",
        END,
    ])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--splits", type=int, default=8)
    ap.add_argument("--check", action="store_true", help="only check that the section is there")
    args = ap.parse_args(argv)
    text = DOC.read_text("utf-8")
    if START not in text or END not in text:
        print(f"error: {DOC}: no figures section between the markers", file=sys.stderr)
        return 1
    if args.check:
        print(f"{DOC}: figures section present")
        return 0
    from classifier.model.build_labels import build

    with tempfile.TemporaryDirectory() as tmp:
        labels = Path(tmp) / "labels.csv"
        build(CORPUS)[0].to_csv(labels, index=False, encoding="utf-8", lineterminator="\n")
        texts = [str(CORPUS / "studies.jsonl"), str(CORPUS / "charted_studies.jsonl")]
        sim = [sys.executable, "-m", "classifier", "simulate", "--labels", str(labels), "--texts", *texts,
               "--out", str(Path(tmp) / "sim"), "--seeds", str(args.seeds), "--quiet"]
        subprocess.run(sim, cwd=REPO, check=True)
        result = json.loads((Path(tmp) / "sim" / "simulation.json").read_text("utf-8"))
        bench = [sys.executable, "benchmarks/bench_simulate.py", "--labels", str(labels), "--splits", str(args.splits)]
        bench_out = subprocess.run(bench, cwd=REPO, check=True, capture_output=True, text=True).stdout
    sim_cmd = (f"python -m classifier simulate --labels LABELS --texts ../shared/corpus/studies.jsonl "
               f"../shared/corpus/charted_studies.jsonl --out sim/ --seeds {args.seeds}")
    bench_cmd = f"python benchmarks/bench_simulate.py --labels LABELS --splits {args.splits}"
    block = section(result, sim_cmd, bench_cmd, bench_out)
    new = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    DOC.write_text(new, "utf-8")
    print(f"wrote the figures section of {DOC} (LABELS: the shipped labels, rebuilt from {CORPUS})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
