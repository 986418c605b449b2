"""The Methods paragraph a review team pastes into its paper, written from ``metrics.json`` alone.

It covers what PRISMA-ScR (charting process), PRISMA 2020 (how many reviewers; automation tools) and
the RAISE guidance ask of a tool that suggests judgements: the tool and its version, the model and
the SHA-256 of its file, the codebook version, the training data by label source, how it was
validated (cross-validated and cross-source figures, with 95% intervals where the run measured them),
how its suggestions were checked (how many studies one or two reviewers charted, their agreement),
and its limitations.

Every number in the text is read from ``metrics.json`` through :class:`Figures`, which records the
key path of each one (``refs``), so a test can trace each number back to the file.
"""
from __future__ import annotations

import re

SOURCE_NAMES = {
    "review_stated": "stated in the source scoping review",
    "review_inferred": "inferred from the source review's tables and counts",
    "charted_abstract": "charted from titles and abstracts with the codebook",
    "reviewed": "set or confirmed by a reviewer in this tool",
    "unspecified": "of unrecorded origin",
}
TASK_PHRASES = {"role": "peer-worker role", "phases": "service-cycle phases",
                "boundary_spanner": "explicit boundary-spanner language"}
RARE_SUPPORT = 15   # a class with fewer training studies than this is named as a limitation


class Figures:
    """Reads numbers out of the metrics dict by key path and remembers where each came from."""

    def __init__(self, metrics: dict):
        self.metrics = metrics
        self.refs: list[tuple[str, str]] = []   # (dotted key path, text shown)

    def get(self, path: str):
        """The value at a dotted key path; a key that itself holds dots (an error rate such as "0.05")
        is matched whole, longest first."""
        node, parts, i = self.metrics, path.split("."), 0
        while i < len(parts):
            if isinstance(node, dict):
                for j in range(len(parts), i, -1):
                    key = ".".join(parts[i:j])
                    if key in node:
                        node, i = node[key], j
                        break
                else:
                    return None
            elif isinstance(node, list) and parts[i].isdigit() and int(parts[i]) < len(node):
                node, i = node[int(parts[i])], i + 1
            else:
                return None
        return node

    def has(self, *paths: str) -> bool:
        return all(self.get(p) is not None for p in paths)

    def num(self, path: str, digits: int = 2) -> str:
        value = self.get(path)
        text = f"{value:.{digits}f}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else str(value)
        self.refs.append((path, text))
        return text

    def text(self, path: str, part: str | None = None) -> str:
        """A string value, or a ``part`` of it (e.g. the first 12 characters of a hash): traced too."""
        value = str(self.get(path))
        shown = value if part is None else part
        self.refs.append((path, shown))
        return shown

    def interval(self, path: str) -> str:
        """`` (95% CI a to b)`` from ``<path>_ci`` when the run measured one, else ''."""
        ci = self.get(f"{path}_ci")
        if not (isinstance(ci, list) and len(ci) == 2 and all(isinstance(x, (int, float)) for x in ci)):
            return ""
        return f", 95% CI {self.num(f'{path}_ci.0')} to {self.num(f'{path}_ci.1')}"


def _join(parts: list[str]) -> str:
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _tasks(metrics: dict) -> list[str]:
    return [t for t in TASK_PHRASES if isinstance(metrics.get(t), dict) and "model" in metrics[t]]


def tool_sentence(f: Figures) -> str:
    run = "run"
    if not f.has(f"{run}.tool_version"):
        return ""
    s = f"Charting was assisted by peer-charting version {f.text('run.tool_version')}"
    if f.has("run.model.model_hash"):
        s += (f", using the model {f.text('run.model.model_name')}"
              + (f" trained {f.text('run.model.model_version')}" if f.get("run.model.model_version") else "")
              + f" (SHA-256 of the model file beginning {f.text('run.model.model_hash', str(f.get('run.model.model_hash'))[:12])})")
    if f.has("run.codebook_version"):
        s += f", and version {f.text('run.codebook_version')} of the codebook"
        if f.get("run.codebook_source"):
            s += f" ({f.text('run.codebook_source')})"
    return s + ". It suggests, for each study, a label per task with its probability and the sentences that support it."


def model_sentence(f: Figures) -> str:
    """What each task's model uses (``run.model_description``: ``{task: sentence}`` read from a fitted
    model), when the run recorded it."""
    described = f.get("run.model_description")
    if not isinstance(described, dict):
        return ""
    return " ".join(f"{TASK_PHRASES.get(t, t.replace('_', ' ')).capitalize()}: "
                    f"{f.text(f'run.model_description.{t}').rstrip('.')}." for t in described if described[t])


def data_sentence(f: Figures) -> str:
    if not f.has("training.n_studies"):
        return ""
    parts = []
    for task in TASK_PHRASES:
        sources = f.get(f"training.by_source.{task}")
        if not isinstance(sources, dict) or not sources:
            continue
        counted = [f"{f.num(f'training.by_source.{task}.{name}')} {SOURCE_NAMES.get(name, name.replace('_', ' '))}"
                   for name in sorted(sources, key=lambda n: -sources[n])]
        parts.append(f"{TASK_PHRASES[task]}: {_join(counted)}")
    s = f"The model was trained and validated on {f.num('training.n_studies')} studies with hand-charted labels"
    return s + (f" ({'; '.join(parts)})." if parts else ".")


def validation_sentences(f: Figures, tasks: list[str]) -> str:
    out = []
    scheme = str(f.get("run.validation_scheme") or "")
    match = re.search(r"(\d+) folds x (\d+) repeats", scheme)
    if match:
        repeats = f.text('run.validation_scheme', match.group(2))
        how = (f"repeated stratified {f.text('run.validation_scheme', match.group(1))}-fold cross-validation "
               f"({repeats} repeat{'' if repeats == '1' else 's'}; all baselines on the same folds)")
    else:
        how = "cross-validation"
    figures = []
    for t in tasks:
        base = f"{t}.model"
        figures.append(f"{f.num(base + '.macro_f1')} for {TASK_PHRASES[t]} ({f.interval(base + '.macro_f1')[2:] or 'no interval'}; "
                       f"Cohen's κ {f.num(base + '.kappa')}{f.interval(base + '.kappa')}; "
                       f"majority-class baseline {f.num(t + '.baselines.majority.macro_f1')})")
    if figures:
        out.append(f"Performance was estimated by {how}: macro-F1 was {_join(figures)}.")
    direction = None
    for name, entry in (f.get("external.directions") or {}).items():
        if name.startswith("to_") and isinstance(entry, dict) and entry.get("tasks"):
            direction = name
            break
    if direction:
        base = f"external.directions.{direction}"
        ext = []
        for t in tasks:
            if f.has(f"{base}.tasks.{t}.model.macro_f1"):
                ext.append(f"{f.num(f'{base}.tasks.{t}.model.macro_f1')} for {TASK_PHRASES[t]} "
                           f"(n = {f.num(f'{base}.tasks.{t}.model.n')})")
        if ext:
            listed = re.search(r"\(([^)]*)\)", str(f.get(base + ".train") or ""))
            names = [SOURCE_NAMES.get(n.strip(), n.strip().replace("_", " "))
                     for n in (listed.group(1).split(",") if listed else []) if n.strip()]
            trained = f"the labels {_join(names)}" if names else "labels from the other sources"
            out.append(f"Trained on {trained}, then tested on studies charted independently from their titles and "
                       f"abstracts, as new literature would be, the model reached "
                       f"macro-F1 {_join(ext)}; this is the closer estimate for studies the model has not seen.")
    accept = accept_unread_sentence(f, tasks)
    if accept:
        out.append(accept)
    if f.get("run.interval_method") and any("CI" in s for s in out):
        out.append(f"Intervals for these figures are from a {f.text('run.interval_method')}.")
    return " ".join(out)


def accept_unread_sentence(f: Figures, tasks: list[str]) -> str:
    """How many labels the tool marked as safe to accept unread at its default error rate, out of fold,
    and how often those were wrong."""
    from .cv import ERROR_RATE

    rate = str(ERROR_RATE)
    parts = []
    for t in tasks:
        base = f"{t}.model.accept_unread.{rate}"
        if not f.has(f"{base}.coverage", f"{base}.error"):
            continue
        if not f.get(f"{base}.coverage"):
            parts.append(f"none of the {TASK_PHRASES[t]} labels")
            continue
        parts.append(f"a share of {f.num(f'{base}.coverage')} of {TASK_PHRASES[t]} labels (of which a share of "
                     f"{f.num(f'{base}.error')} were wrong)")
    if not parts:
        return ""
    requested = next(f"{t}.model.accept_unread.{rate}.requested" for t in tasks
                     if f.has(f"{t}.model.accept_unread.{rate}.requested"))
    out = (f"Each suggested label was marked either as one a reviewer may accept unread or as one to check, "
           f"at a requested error rate of {f.num(requested)} (per label value, the lowest confidence at which out-of-fold "
           f"labels of that value were wrong at most at that rate, counting one error more); in "
           f"cross-validation this marked {_join(parts)}.")
    caveats = []
    for t in tasks:
        every = f"{t}.model.accept_unread_every_label.{rate}"
        if f.has(f"{every}.error", f"{t}.model.labels_text_cannot_show") and f.get(f"{every}.coverage"):
            caveats.append(f"{f.num(f'{every}.error')} for {TASK_PHRASES[t]}")
    if caveats:
        out += (" These errors are counted against what the text the tool read can show: for studies read from "
                "their title and abstract, full-text labels of language the abstract does not contain were left "
                "out. Counted against every label, including those full-text ones, the labels marked for "
                f"accepting unread were wrong in a share of {_join(caveats)}; a team charting from full texts "
                "should read them with this in mind.")
    return out


def review_sentences(f: Figures) -> str:
    if not f.has("review.reviewer_counts.studies_charted"):
        return ""
    counts = "review.reviewer_counts"
    if not f.get(f"{counts}.studies_charted"):
        return ("Reviewers were to check every suggested label against the study; no reviewer decision had been "
                "recorded in the tool's decision log when these figures were produced.")
    s = (f"Suggested labels were checked by reviewers in the tool, each decision logged with its reviewer: "
         f"{f.num(counts + '.studies_charted')} studies were charted or checked, "
         f"{f.num(counts + '.by_two_or_more')} of them independently by two or more reviewers and "
         f"{f.num(counts + '.by_one_reviewer')} by one.")
    parts = []
    for t in TASK_PHRASES:
        base = f"review.tasks.{t}.task"
        if not f.has(f"{base}.n", f"{base}.percent_agreement.value"):
            continue
        text = (f"{TASK_PHRASES[t]} {f.num(base + '.percent_agreement.value')} "
                f"(n = {f.num(base + '.n')}")
        if f.get(f"{base}.kappa.value") is not None:
            kind = "Fleiss'" if f.get(f"{base}.kappa_kind") == "fleiss" else "Cohen's"
            text += f"; {kind} κ {f.num(base + '.kappa.value')}{_ci(f, base + '.kappa')}"
        if f.get(f"{base}.ac1.value") is not None:
            text += f"; Gwet's AC1 {f.num(base + '.ac1.value')}{_ci(f, base + '.ac1')}"
        parts.append(text + ")")
    if parts:
        s += (f" Agreement between reviewers (proportion of studies with the same label) was {_join(parts)}; "
              f"95% intervals by {f.text('review.interval')}.")
    return s


def _ci(f: Figures, base: str) -> str:
    if f.get(f"{base}.ci_low") is None:
        return ""
    return f", 95% CI {f.num(base + '.ci_low')} to {f.num(base + '.ci_high')}"


def tasks_kind(task: str) -> str:
    from ..schema import tasks

    spec = tasks().get(task)
    return spec.kind if spec else ""


def limitations_sentence(f: Figures, tasks: list[str]) -> str:
    rare = []
    for t in tasks:
        per = f.get(f"{t}.model.per_class")
        if not isinstance(per, dict):
            continue
        for value, m in per.items():
            if isinstance(m, dict) and isinstance(m.get("support"), int) and m["support"] < RARE_SUPPORT:
                kind = tasks_kind(t)
                name = (f"the {value.replace('_', '-')} role" if t == "role" else f"the {value} phase"
                        if kind == "multi" else f"{TASK_PHRASES.get(t, t)} {'present' if value == 'true' else 'absent'}")
                rare.append(f"{name} ({f.num(f'{t}.model.per_class.{value}.support')} "
                            f"stud{'y' if m['support'] == 1 else 'ies'}, "
                            f"F1 {f.num(f'{t}.model.per_class.{value}.f1')})")
    s = ("Limitations: the model reads titles and abstracts, so it cannot chart what only the full text reports; "
         "these figures are for studies already judged eligible (the tool's separate eligibility check, applied "
         "first, is evaluated on its own)")
    if rare:
        s += f"; few studies carried {_join(rare)}, so these labels are the least reliable"
    return s + ". Every label is a suggestion for a reviewer to confirm or correct, with its evidence sentences."


def methods_paragraph(metrics: dict) -> tuple[str, list[tuple[str, str]]]:
    """``(paragraph, refs)``: the Methods text and, for every number and identifier in it, the
    ``metrics.json`` key path it was read from."""
    f = Figures(metrics)
    tasks = _tasks(metrics)
    parts = [tool_sentence(f), model_sentence(f), data_sentence(f), validation_sentences(f, tasks), review_sentences(f),
             limitations_sentence(f, tasks)]
    return " ".join(p for p in parts if p), f.refs


def methods_markdown(metrics: dict) -> str:
    text, _ = methods_paragraph(metrics)
    date = str(metrics.get("run", {}).get("evaluated_at", ""))[:10]
    head = "# Methods: automated charting\n\n"
    foot = (f"\n\n<!-- Written by python -m classifier evaluate from metrics.json ({date}); every figure above is "
            f"read from that file. Edit freely: it is a starting point for your Methods section. -->\n")
    return head + text + foot
