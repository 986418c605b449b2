"""``python -m classifier evaluate`` on a small real subset: metrics.json shape (design.md), report."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from classifier.evaluate.metrics import multi_metrics, single_metrics

REPO = Path(__file__).resolve().parents[1]


def test_single_metrics_by_hand():
    m = single_metrics(["a", "a", "b", "c"], ["a", "b", "b", "c"], ("a", "b", "c"))
    assert m["n"] == 4 and m["accuracy"] == 0.75
    assert m["per_class"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert m["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)


def test_multi_metrics_by_hand():
    m = multi_metrics(["delivery", "design;delivery", "delivery"], ["delivery", "delivery", "design;delivery"])
    assert m["per_class"]["delivery"]["f1"] == 1.0
    assert m["per_class"]["design"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert m["macro_f1"] == pytest.approx(0.5)        # phases without support are left out of the mean
    assert m["accuracy"] == pytest.approx(1 / 3)


def add_review_log(path: Path) -> None:
    """Two reviewers confirm the role of ten review-stated studies; the second disagrees on two of them
    (conflicts kept, the labels file unchanged): the run then has reviewer figures for its Methods text."""
    from classifier.review.store import Decision, LabelStore

    before = path.read_bytes()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = frame[(frame["role"] != "") & (frame["role_source"] == "review_stated")].head(10)
    other = {"peer_support": "co_creation", "co_creation": "peer_support", "pre_determined": "peer_support"}
    store = LabelStore(path)
    store.record([Decision(i, "role", r, "ana", "web") for i, r in zip(rows["id"], rows["role"])])
    store.record([Decision(i, "role", other[r] if n < 2 else r, "ben", "ben.csv")
                  for n, (i, r) in enumerate(zip(rows["id"], rows["role"]))])
    assert len(store.conflicts()) == 2 and path.read_bytes() == before


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, corpus_dir, shipped_labels):
    out = tmp_path_factory.mktemp("eval")
    labels = pd.read_csv(shipped_labels, dtype=str, keep_default_na=False)
    labels.to_csv(out / "labels.csv", index=False)
    add_review_log(out / "labels.csv")
    r = subprocess.run([sys.executable, "-m", "classifier", "evaluate", "--labels", str(out / "labels.csv"),
                        "--texts", str(corpus_dir / "studies.jsonl"), str(corpus_dir / "charted_studies.jsonl"),
                        "--out", str(out / "run"), "--repeats", "1", "--folds", "3", "--quick", "--limit", "90"],
                       capture_output=True, text=True, cwd=REPO, timeout=600)
    assert r.returncode == 0, r.stderr
    return out / "run"


def test_metrics_json_has_the_specified_shape(evaluated):
    metrics = json.loads((evaluated / "metrics.json").read_text())
    assert set(metrics) == {"role", "phases", "boundary_spanner", "external", "run", "training", "review"}
    for key in ("external", "run", "training", "review"):
        metrics.pop(key)
    values = {"role": {"pre_determined", "peer_support", "co_creation"},
              "phases": {"commissioning", "design", "delivery", "assessment"}, "boundary_spanner": {"true", "false"}}

    def check(m, task):
        assert isinstance(m["n"], int) and m["n"] > 0
        assert 0 <= m["macro_f1"] <= 1 and 0 <= m["accuracy"] <= 1
        assert set(m["per_class"]) == values[task]
        for pc in m["per_class"].values():
            assert set(pc) >= {"precision", "recall", "f1", "support"} and isinstance(pc["support"], int)

    for task, entry in metrics.items():
        check(entry["model"], task)
        assert {"majority", "rules"} <= set(entry["baselines"])
        for m in entry["baselines"].values():
            check(m, task)
            assert m["n"] == entry["model"]["n"]        # same studies, same folds
        # out of fold: per requested error rate, the share of 'confident' labels and how often they were wrong
        # (counted on the labels the text can show, as the statuses are calibrated)
        shown = entry["model"]["n"] - entry["model"].get("labels_text_cannot_show", 0)
        for rate, a in entry["model"]["accept_unread"].items():
            assert a["requested"] == float(rate) and 0 <= a["coverage"] <= 1 and 0 <= a["error"] <= 1
            assert a["n_confident"] == round(a["coverage"] * shown)
        curve = entry["model"]["risk_coverage"]
        assert curve[-1]["coverage"] == pytest.approx(1.0)
        assert curve[-1]["error"] == pytest.approx(1 - entry["model"]["accuracy"]) or task == "phases" \
            or shown < entry["model"]["n"]   # (the curve too is on the labels the text can show)
    # the majority baseline of role predicts one value only
    maj = metrics["role"]["baselines"]["majority"]["per_class"]
    assert sum(1 for pc in maj.values() if pc["recall"] > 0) == 1


def test_report_is_one_self_contained_file(evaluated):
    html = (evaluated / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "data:image/png;base64," in html
    assert "<script src=" not in html and 'src="http' not in html
    assert "Cohen" in html and "0.88" in html
    assert "Which labels can be accepted unread" in html and 'alt="risk-coverage curves"' in html
    assert "Nested cross-validation" in html
    # the cross-source check comes before the per-value tables
    assert html.index("cross-source check") < html.index("<h2>Per value</h2>")
    # for review teams: no development targets, no parameter dump; Methods read from the fitted model
    assert "Target" not in html and "issue" not in html.lower() and "rule_weight" not in html
    details = json.loads((evaluated / "details.json").read_text())
    described = details["model_description"]
    assert set(described) == {"role", "phases", "boundary_spanner"}
    for sentence in described.values():
        assert sentence in html


def test_bad_inputs_exit_2_with_one_line(tmp_path, corpus_dir):
    r = subprocess.run([sys.executable, "-m", "classifier", "evaluate", "--labels", str(tmp_path / "none.csv"),
                        "--texts", str(corpus_dir / "studies.jsonl"), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, cwd=REPO, timeout=120)
    assert r.returncode == 2 and "none.csv" in r.stderr and "Traceback" not in r.stderr


@pytest.fixture(scope="module")
def evaluated_all(tmp_path_factory, corpus_dir, shipped_labels):
    """Every labelled study (both label sources), the cheapest CV: the cross-source check needs both."""
    out = tmp_path_factory.mktemp("eval_all")
    r = subprocess.run([sys.executable, "-m", "classifier", "evaluate", "--labels", str(shipped_labels),
                        "--texts", str(corpus_dir / "studies.jsonl"), str(corpus_dir / "charted_studies.jsonl"),
                        "--out", str(out), "--repeats", "1", "--folds", "2", "--quick"],
                       capture_output=True, text=True, cwd=REPO, timeout=900)
    assert r.returncode == 0, r.stderr
    return out


def _labelled_counts(corpus_dir, shipped_labels):
    """Per task: {"charted_abstract": n, "other": n} labelled studies whose text is in the corpus."""
    ids = set()
    for name in ("studies.jsonl", "charted_studies.jsonl"):
        with open(corpus_dir / name, encoding="utf-8") as fh:
            ids |= {json.loads(line)["id"] for line in fh if line.strip()}
    labels = pd.read_csv(shipped_labels, dtype=str, keep_default_na=False)
    labels = labels[labels["id"].isin(ids)]
    out = {}
    for task in ("role", "phases", "boundary_spanner"):
        has = labels[task].str.strip() != ""
        charted = labels[f"{task}_source"] == "charted_abstract"
        out[task] = {"charted_abstract": int((has & charted).sum()), "other": int((has & ~charted).sum()),
                     "sources": sorted(set(labels.loc[has & ~charted, f"{task}_source"]))}
    return out


def test_cross_source_check_structure_and_counts(evaluated_all, corpus_dir, shipped_labels):
    metrics = json.loads((evaluated_all / "metrics.json").read_text())
    for task in ("role", "phases", "boundary_spanner"):   # the per-task entries keep their format
        assert {"model", "baselines", "by_source"} <= set(metrics[task])
    ext = metrics["external"]
    assert ext["source"] == "charted_abstract"
    assert set(ext["directions"]) == {"to_charted_abstract", "from_charted_abstract"}
    counts = _labelled_counts(corpus_dir, shipped_labels)
    n_charted = max(c["charted_abstract"] for c in counts.values())
    n_other = len({i for i in pd.read_csv(shipped_labels, dtype=str, keep_default_na=False)
                   .query("role_source != 'charted_abstract'").id})
    to, back = ext["directions"]["to_charted_abstract"], ext["directions"]["from_charted_abstract"]
    assert to["n_test_studies"] == back["n_train_studies"] == n_charted
    assert 0 < to["n_train_studies"] == back["n_test_studies"] <= n_other
    for task, c in counts.items():
        for direction, n, sources in ((to, c["charted_abstract"], ["charted_abstract"]),
                                      (back, c["other"], c["sources"])):
            entry = direction["tasks"][task]
            assert set(entry["baselines"]) == {"majority", "rules"}
            for m in (entry["model"], *entry["baselines"].values()):
                assert m["n"] == n                      # every study the held-out source labelled, once
                for key in ("macro_f1", "accuracy", "brier"):
                    assert 0 <= m[key] <= 1
                for pc in m["per_class"].values():
                    assert all(0 <= pc[k] <= 1 for k in ("precision", "recall", "f1"))
                assert sum(pc["support"] for pc in m["per_class"].values()) >= n
            assert sorted(entry["by_source"]) == sources
            assert sum(b["n"] for b in entry["by_source"].values()) == n
    # the majority baseline predicts one value for everyone: trained on review labels (mostly boundary
    # spanners) it calls every abstract-charted study `true`, so it finds no `false` one
    maj = to["tasks"]["boundary_spanner"]["baselines"]["majority"]["per_class"]
    assert maj["true"]["recall"] == 1.0 and maj["false"]["recall"] == 0.0
    # the model is better than that on the held-out source
    for task in ("role", "phases", "boundary_spanner"):
        t = to["tasks"][task]
        assert t["model"]["macro_f1"] > t["baselines"]["majority"]["macro_f1"]
    html = (evaluated_all / "report.html").read_text()
    assert "cross-source check" in html and "to_charted_abstract" in html and "from_charted_abstract" in html


def test_cross_source_check_skips_a_direction_without_studies(evaluated):
    """--limit 90 keeps only review-named studies: nothing abstract-charted to train or test on."""
    ext = json.loads((evaluated / "metrics.json").read_text())["external"]
    assert ext["directions"]["to_charted_abstract"]["skipped"] == "no test studies"
    assert ext["directions"]["from_charted_abstract"]["skipped"] == "no training studies"
    assert "Not computed: no test studies" in (evaluated / "report.html").read_text()


def test_methods_paragraph_traces_every_number_to_metrics_json(evaluated):
    """methods.md is written by the run, and each number or identifier in it is a value in metrics.json."""
    import hashlib
    import re

    from classifier.evaluate.methods import Figures, methods_paragraph

    metrics = json.loads((evaluated / "metrics.json").read_text("utf-8"))
    text, refs = methods_paragraph(metrics)
    assert text in (evaluated / "methods.md").read_text("utf-8")
    lookup = Figures(metrics)
    for path, shown in refs:
        value = lookup.get(path)
        assert value is not None, path
        formatted = f"{value:.2f}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else str(value)
        assert shown == formatted or (isinstance(value, str) and shown in value), (path, shown, value)
    rest = text.replace("95%", "").replace("SHA-256", "")   # the only figures the text may state itself
    for _, shown in sorted(refs, key=lambda r: -len(r[1])):
        rest = rest.replace(shown, "")
    assert re.findall(r"\S*\d\S*", rest) == []   # no typed-in number
    # what the paragraph must say, from this run
    model_file = REPO / "models" / "peer-charting" / "model.skops"
    assert metrics["run"]["model"]["model_hash"] == hashlib.sha256(model_file.read_bytes()).hexdigest()
    assert metrics["run"]["model"]["model_hash"][:12] in text
    assert f"{metrics['role']['model']['macro_f1']:.2f} for peer-worker role" in text
    lo, hi = metrics["role"]["model"]["macro_f1_ci"]
    assert lo <= metrics["role"]["model"]["macro_f1"] <= hi and f"95% CI {lo:.2f} to {hi:.2f}" in text
    counts = metrics["review"]["reviewer_counts"]
    assert counts == {"studies_charted": 10, "by_one_reviewer": 0, "by_two_or_more": 10}
    role = metrics["review"]["tasks"]["role"]["task"]
    assert role["percent_agreement"]["value"] == pytest.approx(0.8)
    assert "10 of them independently by two or more reviewers" in text and "Gwet's AC1" in text
    assert sum(metrics["training"]["by_source"]["role"].values()) == metrics["role"]["model"]["n"]
    assert "Charting was assisted by peer-charting" in (evaluated / "report.html").read_text("utf-8")


def test_report_shows_evidence_against_the_charters_quotes(evaluated_all):
    details = json.loads((evaluated_all / "details.json").read_text())
    ev = details["evidence"]
    assert ev["n_quoted"] >= 90   # the labelled studies charted from abstracts, all with quotes
    rows = {r["measure"]: r for r in ev["rows"]}
    assert set(rows) == {"role_top1", "role_top3", "phase_top1", "bs_true_top1"}
    assert rows["role_top1"]["n"] == ev["n_quoted"] and 0 < rows["role_top1"]["rate"] <= rows["role_top3"]["rate"]
    html = (evaluated_all / "report.html").read_text()
    assert "Evidence sentences against the charters" in html and "bench_evidence.py" in html


def test_accept_unread_is_counted_both_against_what_the_text_shows_and_every_label(evaluated_all):
    """The review charted boundary spanning from full texts; the corpus holds their abstracts. Full-text
    `true` labels whose abstract holds no boundary word are left out of the statuses' error count (and
    their calibration), and the same figures against every label stand beside them."""
    metrics = json.loads((evaluated_all / "metrics.json").read_text())
    bs = metrics["boundary_spanner"]["model"]
    assert bs["labels_text_cannot_show"] >= 10
    for rate, a in bs["accept_unread"].items():
        every = bs["accept_unread_every_label"][rate]
        assert every["n_confident"] >= a["n_confident"]
        # the left-out labels are all `true`, and the abstract cannot show them: a confident label there is
        # `false`, so the error counted against every label is never lower
        assert every["error"] >= a["error"] - 1e-9
    # a role's words are missing from an abstract far less often than boundary-spanner language
    assert metrics["role"]["model"].get("labels_text_cannot_show", 0) < bs["labels_text_cannot_show"] / 2
    html = (evaluated_all / "report.html").read_text()
    assert "Counted\nagainst every label" in html or "Counted against every label" in html.replace("\n", " ")
    methods = (evaluated_all / "methods.md").read_text()
    if bs["accept_unread_every_label"]["0.05"]["coverage"]:
        assert "Counted against every label" in methods
