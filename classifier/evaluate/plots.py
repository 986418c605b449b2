"""Plots for the report (matplotlib, Agg backend) returned as base64 PNG data URIs."""
from __future__ import annotations

import base64
import io


def _fig():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def to_data_uri(fig) -> str:
    plt = _fig()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def confusion_plot(conf: dict, title: str) -> str:
    plt = _fig()
    labels, M = conf["labels"], conf["matrix"]
    fig, ax = plt.subplots(figsize=(3.2 + 0.6 * len(labels), 2.8 + 0.5 * len(labels)))
    ax.imshow(M, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("hand-charted")
    top = max(max(r) for r in M) or 1
    for i, row in enumerate(M):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", color="white" if v > top / 2 else "black")
    ax.set_title(title, fontsize=10)
    return to_data_uri(fig)


def reliability_plot(rel: dict) -> str:
    """One panel per curve in ``rel`` (analysis.reliability): ``<task>`` = P(true) of a yes/no task,
    ``<task>_top_label`` = the probability of a single-valued task's top label."""
    plt = _fig()
    keys = list(dict.fromkeys(k for entry in rel.values() for k in entry)) or ["(none)"]
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3.6), squeeze=False)
    for ax, key in zip(axes[0], keys):
        title = (f"{key[:-len('_top_label')].replace('_', ' ')}: probability of the top label"
                 if key.endswith("_top_label") else f"{key.replace('_', ' ')}: P(true)")
        ax.plot([0, 1], [0, 1], ls=":", color="grey", label="perfect")
        for name, style in (("model", "o-"),):
            pts = rel.get(name, {}).get(key)
            if pts:
                ax.plot(pts["mean_predicted"], pts["observed"], style, label=name)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("mean predicted probability")
        ax.set_ylabel("observed frequency")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8)
    return to_data_uri(fig)


def learning_curve_plot(points: list[dict], majority: dict) -> str:
    plt = _fig()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    n = [p["n_train"] for p in points]
    from ..schema import task_names

    for t, style in zip([t for t in task_names() if points and t in points[0]], ("o-", "s-", "^-", "d-", "v-", "x-")):
        line, = ax.plot(n, [p[t] for p in points], style, label=t)
        if t in majority:
            ax.axhline(majority[t], color=line.get_color(), ls=":", lw=1)
    ax.set_xlabel("charted studies used for training")
    ax.set_ylabel("macro-F1 (cross-validated)")
    ax.set_ylim(0, 1)
    ax.set_title("Learning curve (dotted: majority baseline)", fontsize=10)
    ax.legend(fontsize=8)
    return to_data_uri(fig)


def baselines_plot(summary: dict) -> str:
    plt = _fig()
    import numpy as np

    tasks = list(summary)
    names = ["model"] + list(summary[tasks[0]]["baselines"])
    fig, ax = plt.subplots(figsize=(9, 3.8))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        vals = [summary[t]["model"]["macro_f1"] if name == "model" else summary[t]["baselines"][name]["macro_f1"]
                for t in tasks]
        ax.bar(np.arange(len(tasks)) + k * width, vals, width, label=name)
    ax.set_xticks(np.arange(len(tasks)) + 0.4 - width / 2, tasks)
    ax.set_ylabel("macro-F1")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False)
    ax.set_title("Model, baselines and ablations on the same folds", fontsize=10)
    return to_data_uri(fig)


def risk_coverage_plot(summary: dict, rate: float) -> str:
    """Per task, the error among the most confident studies against the share accepted (out of fold),
    with the point the ``confident`` status reached at ``rate``."""
    plt = _fig()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for t, e in summary.items():
        curve = e["model"].get("risk_coverage") or []
        if not curve:
            continue
        line, = ax.plot([p["coverage"] for p in curve], [p["error"] for p in curve], "-", label=t)
        point = (e["model"].get("accept_unread") or {}).get(str(rate))
        if point:
            ax.plot([point["coverage"]], [point["error"]], "o", color=line.get_color())
    ax.axhline(rate, color="#888", ls=":", lw=1)
    ax.set_xlabel("share of studies accepted (most confident first)")
    ax.set_ylabel("error among them")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, None)
    ax.set_title(f"Risk-coverage, out of fold (dots: 'confident' at a requested error rate of {rate:g})", fontsize=10)
    ax.legend(fontsize=8)
    return to_data_uri(fig)
