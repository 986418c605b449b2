"""report.html: one self-contained page (plots embedded as base64 PNG) from the evaluation results."""
from __future__ import annotations

import datetime as _dt
from importlib import resources

from jinja2 import Environment, select_autoescape

from . import plots
from .cv import ABLATIONS, BASELINE_NOTES, ERROR_RATE, RATES


def methods_text(scheme: str, summary: dict, model_description: dict | None = None) -> str:
    """The Methods paragraph. ``model_description``: ``{task: sentence}`` read from a fitted model
    (``model.describe.describe_model``), so the paragraph says what each task's model really uses."""
    parts = [
        "Studies were charted by a classifier trained on the studies named in the scoping review by Åkerblom and "
        "Ness (2023; labels as the review states them, plus labels inferred from its counts) and on further studies "
        "charted from their abstracts with the same codebook."]
    if model_description:
        parts.append(" ".join(f"{_task_title(t)}: {text}" for t, text in model_description.items()))
    parts.append(f"Performance was estimated by {scheme}; all baselines used the same folds." if scheme else
                 "All baselines used the same folds.")
    scores = [f"{e['model']['macro_f1']:.2f} for {_task_title(t).lower()} (Cohen's κ {e['model']['kappa']:.2f})"
              for t, e in summary.items()]
    if scores:
        parts.append("Cross-validated macro-F1 was " + _join(scores) +
                     ", against a published human inter-rater agreement for data charting of κ ≈ 0.88.")
    parts.append("Each prediction comes with its probability and the sentences that support it, for a reviewer "
                 "to confirm or correct.")
    return " ".join(parts)


def _task_title(name: str) -> str:
    from ..schema import tasks

    task = tasks().get(name)
    return task.description if task and task.description else name.replace("_", " ")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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
    external = summary.get("external")
    eligibility_html = eligibility_section(summary, details)
    summary = {t: e for t, e in summary.items() if t not in ("external", "eligible")}
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
        methods=methods_text(details.get("scheme", ""), summary, details.get("model_description")),
        summary=summary, configs=configs, plots=figs, highlights=highlights(summary),
        repeats=details.get("repeats", 1), learning=details.get("learning_curve", []),
        gap=details.get("full_text_gap", {"n": 0, "note": ""}), examples=details.get("examples", {}),
        sources=details.get("label_sources", {}), external=external, rate=ERROR_RATE,
        rates=[str(r) for r in RATES], evidence=details.get("evidence") or {},
        eligibility_html=eligibility_html)
