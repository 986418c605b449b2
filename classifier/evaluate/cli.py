"""``python -m classifier evaluate --labels CSV --texts PATH [PATH ...] --out DIR``

Repeated stratified cross-validation of the model, its ablations and baselines on the same folds.
Writes ``DIR/metrics.json`` (design.md shape, plus extras per task, plus ``external``: the cross-source
check, trained on one label source and tested on the other; ``run``: tool, model and codebook identity;
``training``: studies by label source; ``review``: how many studies reviewers checked and their
agreement, from the decision log beside ``--labels``), ``DIR/details.json`` (confusion matrices,
reliability, learning curve, full-text gap, examples), ``DIR/report.html`` and ``DIR/methods.md`` (the
Methods paragraph, every number read from metrics.json).
Exit 0 on success, 2 when nothing could run.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..atomic import write_atomic


def build_parser():
    ap = argparse.ArgumentParser(prog="python -m classifier evaluate", description="Cross-validated evaluation.")
    ap.add_argument("--labels", required=True, help="annotations CSV")
    ap.add_argument("--texts", required=True, nargs="+", help="records files and/or directories of PDFs/.txt")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--repeats", type=int, default=3, help="CV repeats (default 3)")
    ap.add_argument("--folds", type=int, default=5, help="CV folds, capped by the rarest role (default 5)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="no ablations, no learning curve (baselines only)")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N labelled studies (for a quick look)")
    ap.add_argument("--model", metavar="DIR",
                    help="the model whose suggestions the review used, named in the Methods text (default: the shipped model)")
    ap.add_argument("--render-only", action="store_true",
                    help="rebuild DIR/report.html from the metrics.json and details.json already in DIR")
    return ap


def _render_only(out: Path) -> int:
    from .methods import methods_markdown
    from .report import render

    try:
        summary = json.loads((out / "metrics.json").read_text("utf-8"))
        details = json.loads((out / "details.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        print(f"error: {out}: cannot read metrics.json/details.json ({exc})".splitlines()[0], file=sys.stderr)
        return 2
    write_atomic(out / "report.html", render(summary, details))
    write_atomic(out / "methods.md", methods_markdown(summary))
    print(f"wrote {out / 'report.html'}, {out / 'methods.md'}")
    return 0


def provenance(args, res, counts, n_studies: int) -> dict:
    """The non-task sections of metrics.json the Methods text reads: ``run``, ``training``, ``review``."""
    import datetime as _dt

    from .. import __version__
    from ..evaluate.agreement import measure
    from ..model.persist import ModelError, model_identity
    from ..review.store import LabelStoreError
    from ..schema import codebook
    from .intervals import METHOD

    try:
        model = model_identity(args.model)
    except ModelError as exc:
        print(f"warning: {exc}; the Methods text will not name a model file", file=sys.stderr)
        model = {}
    run = {"tool": "peer-charting", "tool_version": __version__,
           "evaluated_at": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "codebook_version": codebook()["version"], "codebook_source": codebook()["source"],
           "validation_scheme": res.scheme, "interval_method": METHOD, "model": model}
    training = {"n_studies": n_studies,
                "by_source": {t: {src: sum(v.values()) for src, v in per.items()} for t, per in counts.items()}}
    try:
        review = measure(args.labels)
    except (LabelStoreError, OSError) as exc:
        print(f"warning: {exc}; no reviewer figures in the Methods text", file=sys.stderr)
        review = {}
    return {"run": run, "training": training, "review": review}
def _eligibility(documents, labels, args):
    """Cross-validated eligibility (its settings chosen inside each training fold), or None when the
    labels do not hold both eligible and excluded studies."""
    from .eligibility import cross_validate

    if "eligible" not in labels.columns or labels["eligible"].dropna().nunique() < 2:
        return None
    repeats = 1 if args.quick else min(2, max(1, args.repeats))
    print(f"eligibility on {len(documents)} screened studies ...", file=sys.stderr)
    try:
        # --quick: one fixed regularisation instead of choosing it inside each fold (a quick look)
        res = cross_validate(documents, labels, folds=args.folds, repeats=repeats, random_state=args.seed,
                             params={"C": 1.0} if args.quick else None)
    except ValueError as exc:
        print(f"warning: eligibility not evaluated ({exc})", file=sys.stderr)
        return None
    g = res["groups"]["model"]
    e = res["eligible"]["model"]
    print(f"         eligible: macro-F1 {e['macro_f1']:.3f}; in scope kept {g['in_scope']['decided_right']:.3f}, "
          f"near-misses caught {g.get('near_miss', {}).get('decided_right', float('nan')):.3f}, unrelated "
          f"articles excluded {g.get('unrelated_pdf', {}).get('decided_right', float('nan')):.3f}", file=sys.stderr)
    return res


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.render_only:
        return _render_only(Path(args.out))
    import warnings

    from ..model.card import label_counts
    from ..io.labels import LabelsError, read_labels
    from ..model.texts import load_labelled_texts
    from . import analysis
    from .cv import ABLATIONS, cross_source, run_cv, summarise
    from .data import body_variants, charter_quotes
    from .evidence import evidence_summary
    from .methods import methods_markdown
    from .report import render

    warnings.filterwarnings("ignore", category=UserWarning)
    try:
        labels = read_labels(args.labels)
    except LabelsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    loaded = load_labelled_texts(args.texts, labels)
    docs = loaded.documents
    for p in loaded.problems:
        print(f"warning: {p}", file=sys.stderr)
    loaded.report(lambda line: print(f"note: {line}", file=sys.stderr))
    from ..io.labels import labelled_ids
    from ..schema import charting_tasks

    screened = docs  # every study with an eligibility label (near-misses, unrelated articles too)
    charted = labelled_ids(labels, charting_tasks())
    docs = [d for d in docs if d.id in charted]
    labels = labels.reset_index()
    if args.limit:
        docs = docs[: args.limit]
        screened = screened[: args.limit]
    if len(docs) < 10:
        print(f"error: only {len(docs)} labelled studies have text; cross-validation needs at least 10", file=sys.stderr)
        return 2
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"error: {out}: cannot create ({exc.strerror or exc})", file=sys.stderr)
        return 2
    params = {}
    ablations = {} if args.quick else ABLATIONS
    print(f"evaluating on {len(docs)} labelled studies that have a text"
          f"{f' (of {len(docs) + len(loaded.without_text)} labelled)' if loaded.without_text else ''} ...",
          file=sys.stderr)
    res = run_cv(docs, labels, params=params, ablations=ablations, repeats=max(1, args.repeats),
                 n_splits=args.folds, seed=args.seed, body_docs=body_variants(args.texts, docs),
                 learning_fractions=() if args.quick else (0.2, 0.4, 0.6, 0.8, 1.0),
                 progress=lambda m: print(m, file=sys.stderr))
    summary = summarise(res)
    from .intervals import bootstrap_intervals

    print("95% intervals (bootstrap over studies) ...", file=sys.stderr)
    for t in summary:
        for name, ci in bootstrap_intervals(t, res.truth[t], res.oof["model"]).items():
            summary[t]["model"][f"{name}_ci"] = ci
    conf = analysis.confusions(res)
    gap = analysis.full_text_gap(res)
    for t in summary:
        summary[t]["confusion"] = conf[t]
        if gap.get("n"):
            summary[t]["full_text_gap"] = gap["tasks"][t]
    for p in res.learning_curve:
        for t in summary:
            summary[t].setdefault("learning_curve", []).append({"n_train": p["n_train"], "macro_f1": p[t]})
    print("cross-source check (train on one label source, test on the other) ...", file=sys.stderr)
    external = cross_source(docs, labels, params=params)
    print("fitting the model on every labelled study, to say what it uses ...", file=sys.stderr)
    from ..model import ChartingModel
    from ..model.describe import describe_model

    described = describe_model(ChartingModel(**params).fit(docs, labels))
    counts = label_counts(labels, res.ids)
    evidence = evidence_summary(res.examples, charter_quotes(args.texts), res.truth["boundary_spanner"].to_dict())
    details = {"scheme": res.scheme, "repeats": max(1, args.repeats), "model_description": described,
               "seconds": res.seconds,
               "confusion": conf, "reliability": analysis.reliability(res), "learning_curve": res.learning_curve,
               "full_text_gap": gap, "examples": analysis.examples(res),
               "label_sources": {t: {s: sum(v.values()) for s, v in per.items()} for t, per in counts.items()},
               "label_counts": counts, "evidence": evidence}
    tasks_summary = dict(summary)
    summary["external"] = external
    summary.update(provenance(args, res, counts, len(res.ids)))
    summary["run"]["model_description"] = described
    eligibility = _eligibility(screened, labels, args)
    if eligibility is not None:
        summary["eligible"] = eligibility["eligible"]
        details["eligibility"] = {k: eligibility[k] for k in ("groups", "reasons", "settings", "folds", "repeats")}
    write_atomic(out / "metrics.json", json.dumps(summary, indent=2) + "\n")
    write_atomic(out / "details.json", json.dumps(details, indent=2, default=str) + "\n")
    write_atomic(out / "report.html", render(summary, details))
    write_atomic(out / "methods.md", methods_markdown(summary))
    for t, e in tasks_summary.items():
        print(f"{t:>17}: macro-F1 {e['model']['macro_f1']:.3f} (majority {e['baselines']['majority']['macro_f1']:.3f}, "
              f"rules {e['baselines']['rules']['macro_f1']:.3f}), kappa {e['model']['kappa']:.3f}")
    for d, e in external["directions"].items():
        for t, m in e.get("tasks", {}).items():
            print(f"{d:>22} {t:>17}: macro-F1 {m['model']['macro_f1']:.3f} (majority "
                  f"{m['baselines']['majority']['macro_f1']:.3f}, rules {m['baselines']['rules']['macro_f1']:.3f}), "
                  f"n={m['model']['n']}")
    for row in evidence["rows"]:
        if row["n"]:
            print(f"evidence: {row['label']} matches a charter's quote for {100 * row['rate']:.0f}% "
                  f"({row['hits']}/{row['n']})")
    print(f"wrote {out / 'metrics.json'}, {out / 'details.json'}, {out / 'report.html'}, {out / 'methods.md'}")
    return 0
