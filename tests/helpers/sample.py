"""Made-up review data for the page's screenshots and tests: no third-party text.

``write_sample(directory, n)`` writes ``predictions.jsonl`` (prediction dicts with evidence offsets
and their section text), ``labels.csv`` (empty), ``report/metrics.json`` with a figure, and a
``texts/`` folder of ``.txt`` sources for some documents. Every sentence is generated here.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

from classifier.schema import tasks

ROLE_SENTENCES = {
    "pre_determined": "Peer workers delivered a fixed, manualised programme that staff had designed in advance.",
    "peer_support": "Peer support workers used their lived experience to offer one-to-one support on the ward.",
    "co_creation": "Peer workers co-designed the service with clinicians and shared decisions about its shape.",
}
PHASE_SENTENCES = {
    "commissioning": "Peer workers sat on the commissioning panel that chose which service to fund.",
    "design": "Peer workers helped design the intervention materials before the pilot began.",
    "delivery": "Peer workers delivered weekly sessions alongside the clinical team.",
    "assessment": "Peer workers took part in assessing the service and reported the results to managers.",
}
BOUNDARY_SENTENCE = "Peer workers acted as a bridge between patients and staff, linking people to community services."
FILLER = [
    "The study took place in {place} over {months} months.",
    "Participants were adults using community mental-health services.",
    "Data came from interviews, routine records and field notes.",
    "Analysis followed a thematic approach agreed by the team.",
    "The findings are discussed in relation to earlier work.",
]
PLACES = ["a city hospital", "two rural clinics", "a recovery college", "an outreach team", "a crisis house"]


def _probabilities(rng: random.Random, values, chosen, spread: float) -> dict:
    raw = {v: rng.uniform(0.0, spread) for v in values}
    raw[chosen] = 1.0
    total = sum(raw.values())
    return {v: round(p / total, 3) for v, p in raw.items()}


def make_prediction(i: int, rng: random.Random, texts_dir: Path | None = None) -> dict:
    role_values = tasks()["role"].values
    role = role_values[i % len(role_values)] if i % 4 else "peer_support"
    phases = ["delivery"] + (["design"] if i % 3 == 0 else []) + (["assessment"] if i % 5 == 0 else [])
    boundary = "true" if i % 2 == 0 else "false"
    place = PLACES[i % len(PLACES)]
    abstract_parts = [f"This study examined peer workers in {place}.", ROLE_SENTENCES[role]]
    methods_parts = [FILLER[0].format(place=place, months=6 + i), FILLER[1], FILLER[2]]
    results_parts = [PHASE_SENTENCES[p] for p in phases] + [FILLER[3]]
    if boundary == "true":
        results_parts.append(BOUNDARY_SENTENCE)
    sections = [
        {"name": "abstract", "heading": "Abstract", "text": " ".join(abstract_parts)},
        {"name": "methods", "heading": "Methods", "text": " ".join(methods_parts)},
        {"name": "results", "heading": "Results", "text": " ".join(results_parts)},
        {"name": "discussion", "heading": "Discussion", "text": FILLER[4]},
    ]

    def evidence(sentence: str, score: float) -> dict:
        for sec in sections:
            at = sec["text"].find(sentence)
            if at >= 0:
                return {"text": sentence, "section": sec["name"], "start": at, "end": at + len(sentence),
                        "score": round(score, 2)}
        raise ValueError(sentence)

    spread = 0.3 + 0.7 * rng.random()
    p_role = _probabilities(rng, role_values, role, spread)
    pred = {
        "id": f"study_{i:03d}", "title": f"Peer workers in {place}: study {i}", "status": "ok", "error": "",
        "source": f"sample/study_{i:03d}", "role": role, "role_confidence": p_role[role],
        **{f"p_role_{v}": p for v, p in p_role.items()},
        "phases": ";".join(v for v in tasks()["phases"].values if v in phases),
        **{f"p_phase_{v}": round(rng.uniform(0.55, 0.99) if v in phases else rng.uniform(0.01, 0.45), 3)
           for v in tasks()["phases"].values},
        "boundary_spanner": boundary,
        "p_boundary_spanner": round(rng.uniform(0.5, 0.95) if boundary == "true" else rng.uniform(0.05, 0.5), 3),
        "evidence": {
            "role": [evidence(ROLE_SENTENCES[role], 1.0 + rng.random())],
            "phases": [evidence(PHASE_SENTENCES[p], 0.5 + rng.random()) for p in phases],
            "boundary_spanner": [evidence(BOUNDARY_SENTENCE, 1.2)] if boundary == "true" else [],
        },
    }
    if texts_dir is not None and i % 3 == 1:
        # a .txt source the page re-reads (no sections in the JSONL)
        path = texts_dir / f"study_{i:03d}.txt"
        path.write_text(pred["title"] + "\n\n" + "\n\n".join(f"{s['heading']}\n{s['text']}" for s in sections) + "\n",
                        "utf-8")
        pred["source"] = str(path)
    else:
        pred["sections"] = sections
    return pred


def write_figure(path: Path, predictions: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3), dpi=90)
    ax.hist([p["role_confidence"] for p in predictions], bins=10, range=(0, 1), color="#0b5cad")
    ax.set_xlabel("role confidence")
    ax.set_ylabel("documents")
    ax.set_title("Sample: confidence of the predicted role")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_sample(directory: str | Path, n: int = 12, seed: int = 0, report: bool = True) -> dict[str, Path]:
    directory = Path(directory)
    texts = directory / "texts"
    texts.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    preds = [make_prediction(i, rng, texts) for i in range(1, n + 1)]
    out = {"predictions": directory / "predictions.jsonl", "annotations": directory / "labels.csv",
           "texts": texts}
    with open(out["predictions"], "w", encoding="utf-8") as fh:
        for pred in preds:
            fh.write(json.dumps(pred) + "\n")
    out["annotations"].write_text("id,role,phases,boundary_spanner\n", "utf-8")
    if report:
        rdir = directory / "report"
        rdir.mkdir(exist_ok=True)
        metrics = {t: {"model": {"n": n, "macro_f1": round(0.55 + 0.1 * k, 2), "accuracy": round(0.7 + 0.05 * k, 2),
                                 "per_class": {}},
                       "baselines": {"majority": {"n": n, "macro_f1": 0.3, "accuracy": 0.6, "per_class": {}},
                                     "rules": {"n": n, "macro_f1": 0.45, "accuracy": 0.62, "per_class": {}}}}
                   for k, t in enumerate(tasks())}
        (rdir / "metrics.json").write_text(json.dumps(metrics, indent=1), "utf-8")
        write_figure(rdir / "role_confidence.png", preds)
        out["report"] = rdir
    return out
