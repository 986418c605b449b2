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


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, corpus_dir):
    out = tmp_path_factory.mktemp("eval")
    labels = pd.read_csv(REPO / "annotations" / "labels.csv", dtype=str, keep_default_na=False)
    labels.to_csv(out / "labels.csv", index=False)
    r = subprocess.run([sys.executable, "-m", "classifier", "evaluate", "--labels", str(out / "labels.csv"),
                        "--texts", str(corpus_dir / "studies.jsonl"), str(corpus_dir / "charted_studies.jsonl"),
                        "--out", str(out / "run"), "--repeats", "1", "--folds", "3", "--quick", "--limit", "90"],
                       capture_output=True, text=True, cwd=REPO, timeout=600)
    assert r.returncode == 0, r.stderr
    return out / "run"


def test_metrics_json_has_the_specified_shape(evaluated):
    metrics = json.loads((evaluated / "metrics.json").read_text())
    assert set(metrics) == {"role", "phases", "boundary_spanner"}
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
    # the majority baseline of role predicts one value only
    maj = metrics["role"]["baselines"]["majority"]["per_class"]
    assert sum(1 for pc in maj.values() if pc["recall"] > 0) == 1


def test_report_is_one_self_contained_file(evaluated):
    html = (evaluated / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "data:image/png;base64," in html
    assert "<script src=" not in html and 'src="http' not in html
    assert "Cohen" in html and "0.88" in html


def test_bad_inputs_exit_2_with_one_line(tmp_path, corpus_dir):
    r = subprocess.run([sys.executable, "-m", "classifier", "evaluate", "--labels", str(tmp_path / "none.csv"),
                        "--texts", str(corpus_dir / "studies.jsonl"), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, cwd=REPO, timeout=120)
    assert r.returncode == 2 and "none.csv" in r.stderr and "Traceback" not in r.stderr
