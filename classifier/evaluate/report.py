"""report.html: one self-contained page (plots embedded as base64 PNG) from the evaluation results."""
from __future__ import annotations

import datetime as _dt
from importlib import resources

from jinja2 import Environment, select_autoescape

from . import plots
from .cv import ABLATIONS, BASELINE_NOTES, ERROR_RATE, RATES


def highlights(summary: dict) -> list[tuple[str, str, str]]:
    """The value of each one-of and yes/no task a review team most needs to find, and the measure shown
    for it beside macro-F1: ``(task, value, "recall" | "f1")`` -- the recall of a one-of task's rarest
    value, the F1 of a yes/no task's ``true``."""
    from ..schema import tasks

    out = []
    for t, e in summary.items():
        per = e["model"].get("per_class", {})
        task = tasks().get(t)
        if not per or task is None or task.kind == "multi":
            continue
        if task.kind == "binary":
            out.append((t, "true", "f1"))
        else:
            out.append((t, min(per, key=lambda v: per[v].get("support", 0)), "recall"))
    return out


def eligibility_section(summary: dict, details: dict) -> str:
    """The report's eligibility section (HTML), or "" when eligibility was not evaluated."""
    if "eligible" not in summary or not details.get("eligibility"):
        return ""
    from markupsafe import Markup

    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = env.from_string(resources.files("classifier.evaluate").joinpath("templates/eligibility.html.j2")
                               .read_text("utf-8"))
    return Markup(template.render(eligibility=dict(details["eligibility"], metrics=summary["eligible"])))


def render(summary: dict, details: dict) -> str:
    """``summary``: metrics.json (the task entries, ``external`` when the cross-source check ran, and
    ``eligible`` when eligibility was evaluated)."""
    from .methods import methods_paragraph

    external = summary.get("external")
    methods, _ = methods_paragraph(summary)
    eligibility_html = eligibility_section(summary, details)
    from ..schema import charting_tasks

    summary = {t: e for t, e in summary.items() if t in charting_tasks() and isinstance(e, dict) and "model" in e}
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = env.from_string(resources.files("classifier.evaluate").joinpath("templates/report.html.j2")
                               .read_text("utf-8"))
    conf = details.get("confusion", {})
    conf_plots = []
    for t, c in conf.items():
        if "matrix" in c:
            conf_plots.append(plots.confusion_plot(c, t.replace("_", " ")))
        else:  # a multi-valued task: one yes/no matrix per value
            conf_plots += [plots.confusion_plot(m, f"{t}: {v}") for v, m in c.items()]
    majority = {t: e["baselines"]["majority"]["macro_f1"] for t, e in summary.items()}
    figs = {"confusion": conf_plots, "reliability": plots.reliability_plot(details.get("reliability", {})),
            "learning": plots.learning_curve_plot(details["learning_curve"], majority) if details.get("learning_curve") else "",
            "baselines": plots.baselines_plot(summary),
            "risk_coverage": plots.risk_coverage_plot(summary, ERROR_RATE)}
    names = list(next(iter(summary.values()))["baselines"]) if summary else []
    configs = [(n, BASELINE_NOTES.get(n) or ABLATIONS.get(n, ("", ""))[1]) for n in names]
    return template.render(
        generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        seconds=round(details.get("seconds", 0)),
        methods=methods,
        summary=summary, configs=configs, plots=figs, highlights=highlights(summary),
        repeats=details.get("repeats", 1), learning=details.get("learning_curve", []),
        gap=details.get("full_text_gap", {"n": 0, "note": ""}), examples=details.get("examples", {}),
        sources=details.get("label_sources", {}), external=external, rate=ERROR_RATE,
        rates=[str(r) for r in RATES], evidence=details.get("evidence") or {},
        eligibility_html=eligibility_html)
