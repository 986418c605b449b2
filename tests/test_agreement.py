"""Agreement statistics against hand-computed values and scikit-learn, and the ``agreement`` command."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from classifier.evaluate.agreement import agreement, measure, task_agreement
from classifier.review.store import Decision, LabelStore
from classifier.schema import tasks

REPO = Path(__file__).resolve().parents[1]

# Two raters, ten studies. Agree on 8 of 10; each says "y" 8 times.
A = list("yyyyyyyynn")
B = list("yyyyyyynyn")


def test_two_raters_match_hand_computation():
    result = agreement(list(zip(A, B)), ["a", "b"], categories=["y", "n"])
    assert result.n == 10 and result.kappa_kind == "cohen"
    # p_o = 8/10; p_e = .8*.8 + .2*.2 = .68; kappa = .12/.32
    assert result.percent_agreement.value == pytest.approx(0.8)
    assert result.kappa.value == pytest.approx(0.375, abs=1e-4)
    # Gwet: pi_y = .8, p_e = 2 * .8 * .2 / (2 - 1) = .32; AC1 = .48 / .68
    assert result.ac1.value == pytest.approx(0.48 / 0.68, abs=1e-4)
    assert result.kappa.value == pytest.approx(cohen_kappa_score(A, B), abs=1e-4)
    for est in (result.percent_agreement, result.kappa, result.ac1):
        assert est.low <= est.value <= est.high
        assert est.low < est.high          # ten studies: a real interval, not a point


def test_ac1_stays_high_when_one_label_dominates():
    # 20 studies, 19 "no" from both, one disagreement: kappa collapses, AC1 does not.
    a = ["no"] * 19 + ["yes"]
    b = ["no"] * 20
    result = agreement(list(zip(a, b)), ["a", "b"], categories=["yes", "no"])
    assert result.percent_agreement.value == pytest.approx(0.95)
    assert result.kappa.value == pytest.approx(cohen_kappa_score(a, b), abs=1e-4) == pytest.approx(0.0)
    # pi_no = 39/40, pi_yes = 1/40: p_e = 2 * 39/1600 = 0.04875
    assert result.ac1.value == pytest.approx((0.95 - 0.04875) / (1 - 0.04875), abs=1e-4)


def test_kappa_undefined_when_every_rating_is_the_same():
    result = agreement([("x", "x")] * 5, ["a", "b"], categories=["x", "y"])
    assert result.percent_agreement.value == 1.0
    assert result.kappa.value is None          # p_e = 1: kappa is undefined, not 0 or 1
    assert result.ac1.value == pytest.approx(1.0)


def test_three_raters_use_fleiss_kappa():
    # items: aaa, aab, bbb, abb -> P_i = 1, 1/3, 1, 1/3; Pbar = 2/3; p_a = p_b = 1/2; Pe = 1/2
    ratings = [("a", "a", "a"), ("a", "a", "b"), ("b", "b", "b"), ("a", "b", "b")]
    result = agreement(ratings, ["r1", "r2", "r3"], categories=["a", "b"])
    assert result.kappa_kind == "fleiss"
    assert result.percent_agreement.value == pytest.approx(2 / 3, abs=1e-4)
    assert result.kappa.value == pytest.approx(1 / 3, abs=1e-4)
    assert result.ac1.value == pytest.approx(1 / 3, abs=1e-4)   # pooled 50/50: AC1 = Fleiss


def test_cohen_matches_sklearn_on_three_categories():
    rng = np.random.default_rng(3)
    cats = list(tasks()["role"].values)
    a = list(rng.choice(cats, 40, p=[0.2, 0.6, 0.2]))
    b = [x if rng.random() < 0.7 else rng.choice(cats) for x in a]
    result = agreement(list(zip(a, b)), ["a", "b"], categories=cats)
    assert result.kappa.value == pytest.approx(cohen_kappa_score(a, b), abs=1e-4)


def test_studies_not_charted_by_every_rater_are_left_out():
    result = agreement([("y", "y"), ("y", None), ("n", "n")], ["a", "b"], categories=["y", "n"])
    assert result.n == 2


def test_multi_label_task_per_value():
    phases = tasks()["phases"]
    labels = {"a": {"s1": "delivery", "s2": "design;delivery", "s3": "assessment;delivery", "s4": "delivery"},
              "b": {"s1": "delivery", "s2": "delivery", "s3": "assessment;delivery", "s4": "design;delivery"}}
    out = task_agreement(phases, labels, ["a", "b"])
    assert out["task"]["n"] == 4
    assert out["task"]["percent_agreement"]["value"] == pytest.approx(0.5)    # same set on s1, s3
    assert out["per_label"]["delivery"]["percent_agreement"]["value"] == 1.0
    # design: a = [n, y, n, n], b = [n, n, n, y]
    design = out["per_label"]["design"]
    assert design["percent_agreement"]["value"] == pytest.approx(0.5)
    assert design["kappa"]["value"] == pytest.approx(
        cohen_kappa_score(["n", "y", "n", "n"], ["n", "n", "n", "y"]), abs=1e-4)


@pytest.fixture
def logged(tmp_path):
    """Two reviewers charting the same four studies through the store (conflicts kept)."""
    path = tmp_path / "labels.csv"
    path.write_text("id,role,phases,boundary_spanner\n", encoding="utf-8")
    store = LabelStore(path)
    ana = {"s1": "peer_support", "s2": "peer_support", "s3": "co_creation", "s4": "pre_determined"}
    ben = {"s1": "peer_support", "s2": "co_creation", "s3": "co_creation", "s4": "pre_determined"}
    store.record([Decision(s, "role", v, "ana", "web") for s, v in ana.items()])
    result = store.record([Decision(s, "role", v, "ben", "spreadsheet") for s, v in ben.items()])
    assert [c.study_id for c in result.conflicts] == ["s2"]
    return path, ana, ben


def test_measure_reads_each_reviewer_from_the_log(logged):
    path, ana, ben = logged
    figures = measure(path)
    assert figures["reviewers"] == ["ana", "ben"]
    assert figures["reviewer_counts"] == {"studies_charted": 4, "by_one_reviewer": 0, "by_two_or_more": 4}
    role = figures["tasks"]["role"]["task"]
    keys = sorted(ana)
    assert role["percent_agreement"]["value"] == pytest.approx(0.75)
    assert role["kappa"]["value"] == pytest.approx(
        cohen_kappa_score([ana[k] for k in keys], [ben[k] for k in keys]), abs=1e-4)


def test_agreement_command(logged, tmp_path):
    path, _, _ = logged
    pred = tmp_path / "pred.jsonl"
    pred.write_text("".join(json.dumps({"id": s, "status": "ok", "role": r, "phases": "", "boundary_spanner": "false"})
                            + "\n" for s, r in [("s1", "peer_support"), ("s2", "peer_support"),
                                                ("s3", "peer_support"), ("s4", "pre_determined")]))
    out = tmp_path / "agreement.json"
    run = subprocess.run([sys.executable, "-m", "classifier", "agreement", "--annotations", str(path),
                          "--reviewers", "ana", "ben", "--predictions", str(pred), "--json", str(out)],
                         capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert "Reviewers: ana, ben. Studies charted: 4 (4 by two or more of them, 0 by one)." in run.stdout
    assert "Gwet's AC1" in run.stdout and "Model against the consensus" in run.stdout
    figures = json.loads(out.read_text())
    # the consensus is the file's value: ana's first (s2 kept as a conflict) -> model right on s1, s2, s4
    assert figures["model"]["tasks"]["role"]["task"]["percent_agreement"]["value"] == pytest.approx(0.75)
    bad = subprocess.run([sys.executable, "-m", "classifier", "agreement", "--annotations", str(path),
                          "--reviewers", "ana", "carla"], capture_output=True, text=True, cwd=REPO)
    assert bad.returncode == 2 and "carla" in bad.stderr and bad.stderr.count("\n") == 1
