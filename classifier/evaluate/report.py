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


def render(summary: dict, details: dict) -> str:
    """``summary``: metrics.json (the task entries, and ``external`` when the cross-source check ran)."""
    from ..schema import tasks
    from .methods import methods_paragraph

    external = summary.get("external")
    methods, _ = methods_paragraph(summary)
    summary = {t: e for t, e in summary.items() if t in tasks() and isinstance(e, dict) and "model" in e}
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
        seconds=round(details.get("seconds", 0)), methods=methods,
        summary=summary, targets=targets(summary), configs=configs, plots=figs,
        repeats=details.get("repeats", 1), learning=details.get("learning_curve", []),
        gap=details.get("full_text_gap", {"n": 0, "note": ""}), examples=details.get("examples", {}),
        sources=details.get("label_sources", {}), external=external)
