"""The model card: what the model was trained on, how well it did in cross-validation, with what."""
from __future__ import annotations

import datetime as _dt
import platform

from ..schema import task_names
from .describe import describe_model


def library_versions() -> dict:
    import numpy, pandas, scipy, sklearn, skops, spacy

    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "pandas": pandas.__version__, "spacy": spacy.__version__,
            "skops": skops.__version__}


def label_counts(labels, ids) -> dict:
    """{task: {source: {value: n}}} over the labelled rows whose text was available for training."""
    frame = labels.copy()
    if "id" in frame.columns:
        frame = frame.set_index("id")
    frame = frame[frame.index.isin(set(ids))]
    out = {}
    for task in task_names():
        if task not in frame.columns:
            continue
        src = frame.get(f"{task}_source")
        per = {}
        for i, value in frame[task].items():
            if value is None or str(value).strip() in ("", "nan"):
                continue
            s = str(src[i]) if src is not None and str(src[i]).strip() not in ("", "nan") else "unspecified"
            per.setdefault(s, {}).setdefault(str(value), 0)
            per[s][str(value)] += 1
        out[task] = per
    return out


def make_card(model, *, labels, documents, label_path="", text_paths=(), cv=None, name="peer-charting") -> dict:
    ids = [d.id for d in documents]
    return {
        "name": name,
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "task": "charting peer-worker studies: role, service-cycle phases, boundary-spanner language",
        "codebook": "../shared/codebook.md (Akerblom & Ness 2023 scoping review)",
        "data": {"labels": str(label_path), "texts": [str(p) for p in text_paths], "n_documents": len(documents),
                 "n_trained": dict(model.n_train_), "text_used": "title + abstract (records); full texts use "
                 "title + abstract for TF-IDF and every non-reference section for rule features"},
        "label_counts": label_counts(labels, ids),
        "params": {k: v for k, v in model.get_params().items() if k != "lexicons"},  # to reproduce it
        "estimators": describe_model(model),
        "lexicons": {d["name"]: len(d.get("terms", [])) + len(d.get("patterns", [])) for d in model.lexicon_data_},
        "cv": cv or {},
        "eligibility": model.eligibility_.describe() if getattr(model, "eligibility_", None) is not None else {},
        "libraries": library_versions(),
        "intended_use": "screening aid for reviewers: every label comes with a probability and evidence "
                        "sentences; a person confirms or corrects it (python -m classifier review/serve).",
    }


def render_markdown(card: dict) -> str:
    lines = [f"# Model card: {card.get('name', 'model')}", "", f"Trained {card.get('date', '?')}.", ""]
    if card.get("task"):
        lines += [f"**Task.** {card['task']} ({card.get('codebook', '')}).", ""]
    data = card.get("data", {})
    if data:
        lines += ["## Data", "", f"- labels: `{data.get('labels', '')}`",
                  f"- texts: {', '.join('`%s`' % t for t in data.get('texts', []))} ({data.get('n_documents', 0)} documents)",
                  f"- labelled documents per estimator: {data.get('n_trained', {})}",
                  f"- text used: {data.get('text_used', '')}", ""]
    counts = card.get("label_counts", {})
    if counts:
        lines += ["## Label counts by source", "", "| task | source | counts |", "|---|---|---|"]
        for task, per in counts.items():
            # {source: {value: n}}, or a flat {value: n} (as review's retrain writes it)
            by_source = per if all(isinstance(v, dict) for v in per.values()) else {"all": per}
            for src, vals in by_source.items():
                lines.append(f"| {task} | {src} | " + ", ".join(f"{k}: {v}" for k, v in sorted(vals.items())) + " |")
        lines.append("")
    cv = card.get("cv", {})
    external = cv.get("external", {})
    if external.get("directions"):
        lines += ["## Performance on labels from another source", "",
                  "Trained on the studies labelled by one source, tested on those labelled by the other: the "
                  "closest estimate here of how the model does on literature nobody here has charted. Studies a "
                  "review team charts from their abstracts look like the abstract-charted ones.", "",
                  "| trained on | tested on | task | macro-F1 | accuracy | F1 of true |", "|---|---|---|---|---|---|"]
        for d in external["directions"].values():
            for task, m in d.get("tasks", {}).items():
                f1_true = m["model"].get("f1_true")
                lines.append(f"| {d['train']} ({d['n_train_studies']}) | {d['test']} ({d['n_test_studies']}) | {task} | "
                             f"{m['model']['macro_f1']:.3f} | {m['model']['accuracy']:.3f} | "
                             f"{'' if f1_true is None else f'{f1_true:.3f}'} |")
        lines.append("")
    if cv.get("tasks"):
        rate = cv.get("error_rate")
        lines += ["## Nested cross-validation", "", f"{cv.get('scheme', '')}", "",
                  f"| task | macro-F1 | accuracy | kappa | majority macro-F1 | confident at error rate {rate} | "
                  "error of confident labels | the same, counted against every label |", "|---|---|---|---|---|---|---|---|"]
        for task, m in cv.get("tasks", {}).items():
            a = (m.get("accept_unread") or {}).get(str(rate), {})
            every = (m.get("accept_unread_every_label") or {}).get(str(rate), a)
            lines.append(f"| {task} | {m.get('macro_f1', float('nan')):.3f} | {m.get('accuracy', float('nan')):.3f} | "
                         f"{m.get('kappa', float('nan')):.3f} | {m.get('majority_macro_f1', float('nan')):.3f} | "
                         f"{100 * a.get('coverage', 0):.0f}% | {a.get('error', float('nan')):.3f} | "
                         f"{every.get('error', float('nan')):.3f} |")
        lines += ["", "The error of confident labels is counted against what the text the model read can show: "
                  "for a study read from its title and abstract, a full-text label of language the abstract does "
                  "not contain is left out. The last column counts every label.", ""]
    elig = card.get("eligibility") or {}
    if elig:
        n = elig.get("n_train", {})
        lines += ["## Eligibility", "",
                  f"Codebook inclusion criteria: fixed criteria (year, language, article type, topic), then a "
                  f"calibrated logistic model on the criteria lexicons (in the title, in the abstract's opening and "
                  f"aim sentences, in the title and abstract, in the whole text){' and TF-IDF' if elig.get('use_tfidf') else ''}, "
                  f"trained on {n.get('true', 0)} eligible and {n.get('false', 0)} excluded studies. A study is "
                  f"eligible when p_eligible >= {elig.get('threshold', float('nan')):.3f} (chosen on the training "
                  f"studies so that {elig.get('recall_target', 0):.0%} of the eligible ones are kept). Exclusion "
                  f"reasons learned: {', '.join(elig.get('reasons_learned', [])) or 'none'}.", ""]
    if card.get("estimators"):
        lines += ["## What each task's model uses", ""] + [f"- {k}: {v}" for k, v in card["estimators"].items()] + [""]
    if card.get("lexicons"):
        lines += ["## Lexicons (terms + patterns)", ""] + [f"- {k}: {v}" for k, v in card["lexicons"].items()] + [""]
    if card.get("libraries"):
        lines += ["## Libraries", ""] + [f"- {k} {v}" for k, v in card["libraries"].items()] + [""]
    if card.get("intended_use"):
        lines += ["## Intended use", "", card["intended_use"], ""]
    return "\n".join(lines)
