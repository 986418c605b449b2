"""report.html: one self-contained page (plots embedded as base64 PNG) from the evaluation results."""
from __future__ import annotations

import datetime as _dt
from importlib import resources

from jinja2 import Environment, select_autoescape

from . import plots
from .cv import ABLATIONS, BASELINE_NOTES


def targets(summary: dict) -> list[tuple[str, str, bool]]:
    role, bs = summary["role"]["model"], summary["boundary_spanner"]["model"]
    rows = [("role macro-F1 ≥ 0.70", f"{role['macro_f1']:.3f}", role["macro_f1"] >= 0.70),
            ("co-creation recall ≥ 0.5", f"{role['per_class']['co_creation']['recall']:.3f}",
             role["per_class"]["co_creation"]["recall"] >= 0.5),
            ("boundary-spanner F1 ≥ 0.85 (F1 of 'true')", f"{bs['per_class']['true']['f1']:.3f}",
             bs["per_class"]["true"]["f1"] >= 0.85),
            ("boundary-spanner macro-F1 ≥ 0.85", f"{bs['macro_f1']:.3f}", bs["macro_f1"] >= 0.85)]
    for t, e in summary.items():
        gain = e["model"]["macro_f1"] - e["baselines"]["majority"]["macro_f1"]
        rows.append((f"{t}: macro-F1 ≥ majority + 0.10", f"+{gain:.3f}", gain >= 0.10))
    return rows


def methods_text(scheme: str, summary: dict) -> str:
    r, p, b = (summary[t]["model"] for t in ("role", "phases", "boundary_spanner"))
    return (
        "Studies were charted by a classifier trained on the studies named in the scoping review by Åkerblom and "
        "Ness (2023; labels as the review states them, plus labels inferred from its counts) and on further studies "
        "charted from their abstracts with the same codebook. Each task has its own logistic-regression model over "
        "TF-IDF word features of the title and abstract and rule features counting codebook lexicon terms "
        "(lemma-matched) per section, with balanced class weights and sigmoid calibration. "
        f"Performance was estimated by {scheme}; all baselines used the same folds. Cross-validated macro-F1 was "
        f"{r['macro_f1']:.2f} for peer-worker role (Cohen's κ {r['kappa']:.2f}), {p['macro_f1']:.2f} for service-cycle "
        f"phases (κ {p['kappa']:.2f}) and {b['macro_f1']:.2f} for explicit boundary-spanner language (κ {b['kappa']:.2f}), "
        "against a published human inter-rater agreement for data charting of κ ≈ 0.88. Each prediction comes with "
        "its probability and the sentences that support it, for a reviewer to confirm or correct.")


def render(summary: dict, details: dict) -> str:
    """``summary``: metrics.json (the task entries, and ``external`` when the cross-source check ran)."""
    external = summary.get("external")
    eligibility = None
    if "eligible" in summary and details.get("eligibility"):
        eligibility = dict(details["eligibility"], metrics=summary["eligible"])
    summary = {t: e for t, e in summary.items() if t not in ("external", "eligible")}
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = env.from_string(resources.files("classifier.evaluate").joinpath("templates/report.html.j2")
                               .read_text("utf-8"))
    conf = details.get("confusion", {})
    conf_plots = []
    if "role" in conf:
        conf_plots.append(plots.confusion_plot(conf["role"], "role"))
    if "boundary_spanner" in conf:
        conf_plots.append(plots.confusion_plot(conf["boundary_spanner"], "boundary spanner"))
    for v, c in conf.get("phases", {}).items():
        conf_plots.append(plots.confusion_plot(c, f"phase: {v}"))
    majority = {t: e["baselines"]["majority"]["macro_f1"] for t, e in summary.items()}
    figs = {"confusion": conf_plots, "reliability": plots.reliability_plot(details.get("reliability", {})),
            "learning": plots.learning_curve_plot(details["learning_curve"], majority) if details.get("learning_curve") else "",
            "baselines": plots.baselines_plot(summary)}
    names = [n for n in summary["role"]["baselines"]]
    configs = [(n, BASELINE_NOTES.get(n) or ABLATIONS.get(n, ("", ""))[1]) for n in names]
    return template.render(
        generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), params=details.get("params", {}),
        seconds=round(details.get("seconds", 0)), methods=methods_text(details.get("scheme", ""), summary),
        summary=summary, targets=targets(summary), configs=configs, plots=figs,
        repeats=details.get("repeats", 1), learning=details.get("learning_curve", []),
        gap=details.get("full_text_gap", {"n": 0, "note": ""}), examples=details.get("examples", {}),
        sources=details.get("label_sources", {}), external=external, eligibility=eligibility)
