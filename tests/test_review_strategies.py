"""Queue strategies on prediction dicts: what each one puts first."""
from __future__ import annotations

import numpy as np
import pytest

from classifier.review.strategies import STRATEGIES, rank, score, shown_label_doubt, task_entropy


def pred(i, role=(0.1, 0.8, 0.1), phases=(0.05, 0.05, 0.95, 0.05), bs=0.9):
    values = ("pre_determined", "peer_support", "co_creation")
    d = {"id": f"s{i}", "role": values[int(np.argmax(role))],
         "phases": "delivery", "boundary_spanner": "true" if bs >= 0.5 else "false", "p_boundary_spanner": bs}
    d.update({f"p_role_{v}": p for v, p in zip(values, role)})
    d.update({f"p_phase_{v}": p for v, p in zip(("commissioning", "design", "delivery", "assessment"), phases)})
    return d


def test_uncertainty_and_margin_put_the_undecided_document_first():
    preds = [pred(0), pred(1, role=(0.34, 0.33, 0.33), bs=0.5), pred(2, role=(0.05, 0.9, 0.05))]
    for strategy in ("uncertainty", "margin"):
        order = [i for i, _ in rank(strategy, preds)]
        assert order[0] == 1, strategy
        assert order[-1] == 2, strategy


def test_rebalancing_lifts_a_rare_class_that_plain_entropy_drowns():
    # pre-determined is common in this pool, co-creation rare
    pool = [pred(i, role=(0.3, 0.65, 0.05)) for i in range(20)]
    pool.append(pred(20, role=(0.02, 0.93, 0.05)))   # a little more co-creation than usual (the rare class)
    pool.append(pred(21, role=(0.05, 0.93, 0.02)))   # the same mass on pre-determined, less than usual
    plain = task_entropy(pool, balance=0.0)["role"]
    balanced = task_entropy(pool, balance=0.5)["role"]
    assert plain[20] == pytest.approx(plain[21])
    assert balanced[20] > balanced[21] + 0.03


def test_a_rare_label_shown_at_modest_probability_is_doubted_first():
    confident = pred(0, role=(0.05, 0.9, 0.05))
    rare_call = dict(pred(1, role=(0.02, 0.68, 0.30)), role="co_creation")  # chosen prior-balanced
    common_call = pred(2, role=(0.02, 0.68, 0.30))                          # the most probable value
    doubt = shown_label_doubt([confident, rare_call, common_call])["role"]
    assert doubt[1] == pytest.approx(0.70, abs=1e-6) and doubt[2] == pytest.approx(0.32, abs=1e-6)
    assert [i for i, _ in rank("uncertainty", [confident, rare_call, common_call])] == [1, 2, 0]


def test_random_is_seeded_and_disagreement_needs_rules():
    preds = [pred(i, role=(0.2, 0.6, 0.2)) for i in range(30)]
    a = [i for i, _ in rank("random", preds, seed=3)]
    assert a == [i for i, _ in rank("random", preds, seed=3)]
    assert a != [i for i, _ in rank("random", preds, seed=4)]
    with pytest.raises(ValueError, match="rules-only"):
        score("disagreement", preds)
    rules = [dict(p) for p in preds]
    rules[7] = dict(rules[7], role="co_creation", boundary_spanner="false")
    rules[9] = dict(rules[9], role="co_creation")
    order = [i for i, _ in rank("disagreement", preds, rules=rules)]
    assert order[:2] == [7, 9]


def test_missing_or_bad_probabilities_do_not_crash_and_unknown_strategy_is_named():
    preds = [pred(0), {"id": "x", "p_role_peer_support": "n/a"}]
    for strategy in STRATEGIES:
        if strategy != "disagreement":
            assert len(score(strategy, preds)) == 2
    with pytest.raises(ValueError, match="'entropy'"):
        score("entropy", preds)


def test_studies_the_eligibility_check_excluded_come_last_nearest_to_eligible_first():
    """An off-topic text has flat role probabilities: by uncertainty alone it would lead the queue."""
    off_topic = dict(pred(0, role=(0.34, 0.33, 0.33), bs=0.5), eligible="false", p_eligible=0.05)
    near_miss = dict(pred(1, role=(0.3, 0.4, 0.3)), eligible=False, p_eligible="0.48")
    in_scope = [dict(pred(i, role=r), eligible="true", p_eligible=0.9)
                for i, r in ((2, (0.05, 0.9, 0.05)), (3, (0.2, 0.6, 0.2)))]
    unscreened = pred(4, role=(0.1, 0.8, 0.1))   # no eligibility columns: charted like an eligible study
    preds = [off_topic, near_miss, *in_scope, unscreened]
    for strategy in ("uncertainty", "margin"):
        order = [i for i, _ in rank(strategy, preds)]
        assert set(order[:3]) == {2, 3, 4} and order[3:] == [1, 0], strategy
        assert order[0] == 3   # the most uncertain of those the check kept
    assert [i for i, _ in rank("uncertainty", preds, top=1)] == [3]
