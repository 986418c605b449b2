"""Blind double charting end to end: a round of six studies, one reviewer in the web page and one in a
spreadsheet, neither seeing the other's labels nor the model's; the consensus step; agreement figures
checked against hand computation and scikit-learn. Review data are generated (web/sample.py)."""
from __future__ import annotations

import csv
import json
import re

import pytest
from sklearn.metrics import cohen_kappa_score

from classifier.evaluate.agreement import measure
from classifier.review.blind import load_round
from classifier.review.blind_cli import main as blind
from classifier.review.cli import main as review
from classifier.review.store import LabelStore
from classifier.web import ServeConfig, create_app
from helpers.sample import write_sample

ANA = {"role": ["peer_support", "peer_support", "peer_support", "co_creation", "pre_determined", "peer_support"],
       "boundary_spanner": ["true", "false", "false", "false", "false", "false"],
       "phases": ["delivery"] * 6}
BEN = {"role": ["peer_support", "peer_support", "co_creation", "co_creation", "pre_determined", "pre_determined"],
       "boundary_spanner": ["true", "false", "false", "false", "false", "true"],
       "phases": ["delivery", "delivery", "design;delivery", "delivery", "delivery", "delivery"]}


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames), list(reader)


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture()
def round_(tmp_path):
    sample = write_sample(tmp_path / "sample", n=10)
    preds = [json.loads(line) for line in sample["predictions"].read_text("utf-8").splitlines()]
    ids = [p["id"] for p in preds[2:8]]
    (tmp_path / "ids.txt").write_text("\n".join(ids) + "\n", encoding="utf-8")
    assert blind(["start", "--annotations", str(sample["annotations"]), "--predictions", str(sample["predictions"]),
                  "--reviewers", "ana", "ben", "--ids", str(tmp_path / "ids.txt"), "--hide-model",
                  "--export", str(tmp_path / "sheets")]) == 0
    return sample, preds, ids, tmp_path


def test_two_reviewers_chart_blind_then_agree(round_, capsys):
    sample, preds, ids, tmp = round_
    labels = sample["annotations"]
    store = LabelStore(labels)
    assert load_round(store).studies == ids

    # --- ana, in the browser: the page asks her name once, then remembers it -----------------------------
    web = create_app(ServeConfig(predictions=sample["predictions"], annotations=labels, blind=True)).test_client()
    queue = web.get("/queue").get_data(as_text=True)
    assert queue.count('class="doc-link"') == 6 and "Blind charting" in queue
    assert all(f'data-id="{p["id"]}"' not in queue for p in preds if p["id"] not in ids)
    assert "predicted" not in queue.split("<table", 1)[1]            # the model's labels are hidden
    page = web.get(f"/doc/{ids[0]}").get_data(as_text=True)
    assert 'id="who-prompt"' in page and 'id="accept-all"' not in page and 'id="evidence-hidden"' in page
    assert web.get(f"/doc/{preds[0]['id']}").status_code == 404       # not in the round
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)   # the blind form carries it too
    assert web.post(f"/doc/{ids[0]}", data={"role": ANA["role"][0], "reviewer": "ana"}).status_code == 403
    refused = web.post(f"/doc/{ids[0]}", data={"role": ANA["role"][0], "csrf_token": token})
    assert refused.status_code == 400 and LabelStore(labels).log() == []  # no name yet
    for n, study in enumerate(ids):
        form = {t: ANA[t][n].split(";") if t == "phases" else ANA[t][n] for t in ANA}
        form["csrf_token"] = token
        if n == 0:
            form["reviewer"] = "ana"                                    # asked once ...
        response = web.post(f"/doc/{study}", data=form)
        assert response.status_code == 303
    assert {r["reviewer"] for r in store.log()} == {"ana"}             # ... remembered for the rest
    assert 'id="who-prompt"' not in web.get(f"/doc/{ids[1]}").get_data(as_text=True)

    # --- ben, in his spreadsheet: no model labels in it, his name filled in ------------------------------
    sheet = tmp / "sheets" / "ben.csv"
    header, rows = read_csv(sheet)
    assert [r["id"] for r in rows] == ids and all(r["reviewer"] == "ben" for r in rows)
    assert not any(r["predicted_role"] or r["role_evidence"] for r in rows)
    for n, row in enumerate(rows):
        row.update({t: BEN[t][n] for t in BEN})
    rows[0]["note"] = "bridging is explicit in the abstract"
    write_csv(sheet, header, rows)
    assert review(["--import", str(sheet), "--annotations", str(labels)]) == 0
    capsys.readouterr()

    # ana's page still shows only her own labels: no conflict, nothing of ben's
    page = web.get(f"/doc/{ids[2]}").get_data(as_text=True)
    assert 'id="conflicts"' not in page and "co creation" not in page.split('id="label-form"', 1)[1].split("</fieldset>", 1)[0].split("Your label", 1)[-1][:60]
    assert "Your label: <strong>peer support</strong>" in page
    ben_web = create_app(ServeConfig(predictions=sample["predictions"], annotations=labels, blind=True)).test_client()
    ben_web.set_cookie("reviewer", "ben")
    ben_page = ben_web.get(f"/doc/{ids[2]}").get_data(as_text=True)
    assert "Your label: <strong>co creation</strong>" in ben_page and "peer support</strong>" not in ben_page

    # --- agreement on the round (hand-computed; and scikit-learn for kappa) ------------------------------
    figures = measure(labels, ["ana", "ben"], studies=ids)
    role = figures["tasks"]["role"]["task"]
    assert role["n"] == 6 and role["percent_agreement"]["value"] == pytest.approx(4 / 6, abs=1e-4)
    # p_e = 4/6*2/6 + 1/6*2/6 + 1/6*2/6 = 1/3 -> kappa = (2/3 - 1/3) / (2/3) = 0.5
    assert role["kappa"]["value"] == pytest.approx(0.5, abs=1e-4)
    assert role["kappa"]["value"] == pytest.approx(cohen_kappa_score(ANA["role"], BEN["role"]), abs=1e-4)
    # Gwet: pi = (1/2, 1/4, 1/4), p_e = (1/4 + 3/16 + 3/16) / 2 = 0.3125 -> AC1 = (2/3 - 0.3125) / 0.6875
    assert role["ac1"]["value"] == pytest.approx((2 / 3 - 0.3125) / 0.6875, abs=1e-4)
    bs = figures["tasks"]["boundary_spanner"]["task"]
    assert bs["kappa"]["value"] == pytest.approx(8 / 14, abs=1e-4)
    assert bs["kappa"]["value"] == pytest.approx(cohen_kappa_score(ANA["boundary_spanner"], BEN["boundary_spanner"]),
                                                 abs=1e-4)
    assert bs["ac1"]["value"] == pytest.approx((5 / 6 - 0.375) / 0.625, abs=1e-4)
    assert figures["tasks"]["phases"]["per_label"]["design"]["percent_agreement"]["value"] == pytest.approx(5 / 6,
                                                                                                          abs=1e-4)

    # --- consensus: the disagreements side by side, the agreed label and its reason ----------------------
    assert blind(["status", "--annotations", str(labels)]) == 0
    assert "Disagreements waiting for consensus: 4." in capsys.readouterr().out
    cons = tmp / "consensus.csv"
    assert blind(["consensus", "--annotations", str(labels), "--export", str(cons)]) == 0
    header, rows = read_csv(cons)
    assert header[:5] == ["id", "task", "title", "ana", "ben"] and "evidence" in header
    got = {(r["id"], r["task"]): (r["ana"], r["ben"]) for r in rows}
    assert got == {(ids[2], "role"): ("peer_support", "co_creation"), (ids[5], "role"): ("peer_support", "pre_determined"),
                   (ids[5], "boundary_spanner"): ("false", "true"), (ids[2], "phases"): ("delivery", "design;delivery")}
    assert len(store.conflicts()) == 4                                # the store kept ben's proposals
    for row in rows:
        row["agreed"] = row["ben"] if row["task"] != "boundary_spanner" else "false"
        row["reason"] = "discussed; methods section decides"
    rows[0]["reason"] = ""
    write_csv(cons, header, rows)
    assert blind(["consensus", "--annotations", str(labels), "--import", str(cons), "--reviewer", "carla"]) == 1
    assert "needs its reason" in capsys.readouterr().err and len(store.conflicts()) == 4   # nothing written
    rows[0]["reason"] = "agreed after reading the full text"
    write_csv(cons, header, rows)
    assert blind(["consensus", "--annotations", str(labels), "--import", str(cons), "--reviewer", "carla"]) == 0
    out = capsys.readouterr().out
    assert "Recorded 4 agreed label(s)" in out and "Gwet's AC1" in out
    final = store.labels()
    assert final[ids[2]]["role"] == "co_creation" and final[ids[5]]["boundary_spanner"] == "false"
    assert final[ids[2]]["phases"] == "design;delivery"
    assert store.conflicts() == []                                    # conflicts resolved
    consensus_log = [r for r in store.log() if r["source"] == "consensus"]
    assert len(consensus_log) == 4 and all(r["reviewer"] == "carla" and r["note"] for r in consensus_log)
    with open(labels, encoding="utf-8", newline="") as fh:
        notes = {r["id"]: r.get("notes", "") for r in csv.DictReader(fh)}
    assert "carla: discussed; methods section decides" in notes[ids[5]]
    assert blind(["consensus", "--annotations", str(labels)]) == 0
    assert "No disagreement" in capsys.readouterr().out
    from classifier.evaluate.agreement_cli import main as agreement

    assert agreement(["--annotations", str(labels)]) == 0            # the round's reviewers and studies
    out = capsys.readouterr().out
    assert "Blind round of 6 studies (ana, ben)." in out and "Studies charted: 6 (6 by two or more" in out
    # the consensus is nobody's own charting: agreement is unchanged by it
    assert measure(labels, ["ana", "ben"], studies=ids)["tasks"]["role"]["task"]["kappa"]["value"] == pytest.approx(0.5,
                                                                                                                 abs=1e-4)


def test_round_needs_two_reviewers_and_known_ids(tmp_path, capsys):
    from classifier.review.blind import BlindError

    sample = write_sample(tmp_path / "s", n=5)
    with pytest.raises(BlindError, match="no blind charting round here"):
        create_app(ServeConfig(predictions=sample["predictions"], annotations=sample["annotations"], blind=True))
    base = ["start", "--annotations", str(sample["annotations"]), "--predictions", str(sample["predictions"])]
    assert blind(base + ["--reviewers", "ana", "--sample", "3"]) == 1
    assert "at least two different reviewers" in capsys.readouterr().err
    assert blind(base + ["--reviewers", "ana", "ben", "--sample", "50"]) == 1
    assert "--sample 50" in capsys.readouterr().err
    assert blind(base + ["--reviewers", "ana", "ben", "--sample", "3", "--seed", "4"]) == 0
    first = load_round(LabelStore(sample["annotations"])).studies
    assert blind(base + ["--reviewers", "ana", "ben", "--sample", "3", "--seed", "4"]) == 0
    assert load_round(LabelStore(sample["annotations"])).studies == first and len(first) == 3
    assert blind(["status", "--annotations", str(tmp_path / "nowhere" / "labels.csv")]) == 2
