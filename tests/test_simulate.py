"""`python -m classifier simulate`: a small replay on the shared corpus (few seeds, few rounds) and the
stopping signal's arithmetic."""
from __future__ import annotations

import json

import pytest

from classifier.review.simulate import agreement, stop_round
from classifier.review.simulate_cli import main as simulate
from classifier.schema import charting_task_names as task_names


@pytest.fixture(scope="module")
def result(corpus_dir, tmp_path_factory):
    from classifier.model.build_labels import build

    tmp = tmp_path_factory.mktemp("sim")
    labels = tmp / "labels.csv"
    build(corpus_dir)[0].to_csv(labels, index=False, encoding="utf-8", lineterminator="\n")
    out = tmp / "out"
    code = simulate(["--labels", str(labels), "--texts", str(corpus_dir / "studies.jsonl"),
                     "--texts", str(corpus_dir / "charted_studies.jsonl"), "--out", str(out),
                     "--strategies", "uncertainty", "--seeds", "2", "--rounds", "2", "--batch", "20",
                     "--window", "2", "--quiet"])
    assert code == 0
    return out, json.loads((out / "simulation.json").read_text("utf-8"))


def test_simulation_json_has_the_design_shape_with_spread_and_stopping(result):
    out, sim = result
    assert set(sim["strategies"]) == {"random", "uncertainty"}  # random is always added
    curves = [e["n_labelled"] for e in sim["strategies"].values()]
    assert curves[0] == curves[1] == [20, 40, 60]  # the same rounds for every strategy
    for name, entry in sim["strategies"].items():
        for task in task_names():
            f1 = entry[task]["macro_f1"]
            assert len(f1) == 3 and all(0 <= v <= 1 for v in f1)
            assert len(entry[task]["per_seed"]) == 2 and len(entry[task]["std"]) == 3
            assert all(lo <= m <= hi for lo, m, hi in zip(entry[task]["min"], f1, entry[task]["max"]))
        stopping = entry["stopping"]
        assert stopping["kappa"][0] is None and all(-1 <= k <= 1 for k in stopping["kappa"][1:])
        assert len(stopping["stop_round_per_seed"]) == 2
        assert set(stopping["stop_round_per_task"]) == set(task_names())
    assert sim["config"]["seeds"] == [0, 1]
    cmp = sim["comparison"]
    for task in task_names():
        assert set(cmp[task]["difference_vs_random"]) == {"uncertainty"}
        diff = cmp[task]["mean_over_curve"]["uncertainty"] - cmp[task]["random"]
        assert cmp[task]["difference_vs_random"]["uncertainty"] == pytest.approx(diff, abs=1e-3)
        paired = cmp[task]["paired_difference_vs_random"]["uncertainty"]
        assert len(paired["per_seed"]) == 2 and paired["mean"] == pytest.approx(diff, abs=1e-3)
        assert paired["seeds_better"] == sum(d > 0 for d in paired["per_seed"])


def test_plots_are_written_per_task(result):
    out, _ = result
    for name in [f"learning_curve_{t}.png" for t in task_names()] + ["learning_curves.png"]:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_stopping_signal_arithmetic():
    assert stop_round([None, 0.5, 0.95, 0.97], 0.9, 2) == 3
    assert stop_round([None, 0.95, 0.8, 0.99], 0.9, 2) is None  # means 0.875, 0.895
    assert stop_round([None, 0.95, 0.86, 0.99], 0.9, 2) == 2     # mean 0.905
    assert stop_round([None, 0.5, 0.6], 0.9, 2) is None
    same = [{"role": "peer_support", "phases": "delivery", "boundary_spanner": "true"}] * 3
    other = [dict(p) for p in same]
    other[0] = {"role": "co_creation", "phases": "design;delivery", "boundary_spanner": "false"}
    assert agreement("role", same, same) == 1.0
    assert agreement("role", same, other) < 1.0
    assert agreement("phases", same, other) < 1.0


def test_bad_arguments_are_one_line(tmp_path, capsys):
    assert simulate(["--labels", str(tmp_path / "none.csv"), "--texts", "x.jsonl", "--out", str(tmp_path)]) == 2
    assert "none.csv: no such file" in capsys.readouterr().err
    labels = tmp_path / "labels.csv"
    labels.write_text("id,role\na,peer_support\n", encoding="utf-8")
    assert simulate(["--labels", str(labels), "--texts", str(tmp_path / "t.pdfx"), "--out", str(tmp_path)]) == 2
    assert "t.pdfx: no such file or directory" in capsys.readouterr().err
    assert simulate(["--labels", str(labels), "--texts", "x.jsonl", "--out", str(tmp_path),
                     "--strategies", "entropy"]) == 2
    assert "unknown strategy 'entropy'" in capsys.readouterr().err
