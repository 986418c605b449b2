"""`python -m classifier review`: queue export (CSV, xlsx), validated import, conflicts, concurrent imports,
kill -9 during an import, and error concentration at the head of the queue on held-out studies.

Predictions come from the real model trained on part of the shared corpus (read from ../shared at run
time) and predicting the held-out rest.
"""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from classifier.review.cli import main as review
from classifier.io.labels import read_table
from classifier.review.store import Decision, LabelStore
from classifier.review.strategies import DEFAULT_STRATEGY, rank
from classifier.schema import task_names

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus(corpus_dir, tmp_path_factory):
    """Labels built from the corpus, a model fitted on 70% of the labelled studies, and its predictions
    (with evidence) for the held-out 30%, written as a predictions JSONL file."""
    from sklearn.model_selection import train_test_split

    from classifier.model import ChartingModel
    from classifier.model.build_labels import build
    from classifier.review.texts import load_documents

    tmp = tmp_path_factory.mktemp("corpus")
    labels_csv = tmp / "labels.csv"
    build(corpus_dir)[0].to_csv(labels_csv, index=False, encoding="utf-8", lineterminator="\n")
    texts = [corpus_dir / "studies.jsonl", corpus_dir / "charted_studies.jsonl"]
    docs = load_documents(texts)
    labels = LabelStore(labels_csv).load()
    ids = [i for i in labels.index if i in docs and labels.loc[i, "role"] is not None]
    train, test = train_test_split(ids, test_size=0.3, random_state=0, stratify=[labels.loc[i, "role"] for i in ids])
    model = ChartingModel().fit([docs[i] for i in train], labels.loc[train])
    preds = model.predict([docs[i] for i in test])
    pred_file = tmp / "pred.jsonl"
    pred_file.write_text("".join(json.dumps(p) + "\n" for p in preds), encoding="utf-8")
    return SimpleNamespace(labels_csv=labels_csv, labels=labels, texts=texts, preds=preds, pred_file=pred_file,
                           test=test, train=train)


def blank_labels(corpus, tmp_path, ids) -> Path:
    """A copy of the corpus labels with every task of ``ids`` emptied (so a queue can fill them)."""
    table = read_table(corpus.labels_csv)
    for i in ids:
        for t in task_names():
            table.index[i][t] = ""
    path = tmp_path / "annotations" / "labels.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_text(table.to_text(), encoding="utf-8")
    return path


def read_queue(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames), list(reader)


def write_queue(path: Path, header: list[str], rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def export(corpus, tmp_path, name="queue.csv", top=10, *extra) -> Path:
    out = tmp_path / name
    assert review(["export", str(out), "--predictions", str(corpus.pred_file), "--top", str(top), *extra]) == 0
    return out


# ---- export ----------------------------------------------------------------------------------------
def test_export_csv_is_ranked_with_evidence_and_empty_reviewer_columns(corpus, tmp_path):
    out = export(corpus, tmp_path)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    header, rows = read_queue(out)
    assert len(rows) == 10
    for col in ("id", "title", "predicted_role", "role_confidence", "role_evidence", *task_names(), "reviewer", "note"):
        assert col in header
    expected = [corpus.preds[i]["id"] for i, _ in rank(DEFAULT_STRATEGY, corpus.preds, top=10)]
    assert [r["id"] for r in rows] == expected
    priorities = [float(r["priority"]) for r in rows]
    assert priorities == sorted(priorities, reverse=True)
    by_id = {p["id"]: p for p in corpus.preds}
    for r in rows:
        assert all(r[c] == "" for c in (*task_names(), "reviewer", "note"))
        assert r["predicted_role"] == by_id[r["id"]]["role"]
        assert abs(float(r["role_confidence"]) - by_id[r["id"]]["role_confidence"]) < 0.006
    evidence = [r["role_evidence"] for r in rows if r["role_evidence"]]
    assert evidence and all(e.startswith("[") for e in evidence)
    first = by_id[rows[0]["id"]]["evidence"]["role"]
    if first:  # the sentence is there, whitespace folded, prefixed with its section
        assert " ".join(first[0]["text"].split()) in rows[0]["role_evidence"]
        assert rows[0]["role_evidence"].startswith(f"[{first[0]['section']}")


def test_export_xlsx_has_frozen_header_and_dropdowns(corpus, tmp_path):
    from openpyxl import load_workbook

    out = export(corpus, tmp_path, "queue.xlsx", 7)
    ws = load_workbook(out)["queue"]
    assert ws.freeze_panes == "C2"
    header = [c.value for c in ws[1]]
    assert header[:2] == ["rank", "id"] and "boundary_spanner" in header
    assert ws.max_row == 8
    formulas = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert '"pre_determined,peer_support,co_creation"' in formulas
    # numbers are numbers (sortable, filterable), and peer_terms is there to spot off-topic studies
    col = {name: i + 1 for i, name in enumerate(header)}
    for r in range(2, ws.max_row + 1):
        assert isinstance(ws.cell(r, col["rank"]).value, int)
        assert isinstance(ws.cell(r, col["priority"]).value, float)
        assert isinstance(ws.cell(r, col["role_confidence"]).value, float)
        assert isinstance(ws.cell(r, col["boundary_spanner_confidence"]).value, float)
    assert "peer_terms" in header


def test_export_strategies_differ_and_random_is_seeded(corpus, tmp_path):
    q = {s: [r["id"] for r in read_queue(export(corpus, tmp_path, f"{s}.csv", 15, "--strategy", s))[1]]
         for s in ("uncertainty", "margin", "random")}
    assert q["random"] != q["uncertainty"]
    again = read_queue(export(corpus, tmp_path, "random2.csv", 15, "--strategy", "random"))[1]
    assert [r["id"] for r in again] == q["random"]


def test_export_leaves_out_fully_labelled_studies(corpus, tmp_path):
    labels = LabelStore(corpus.labels_csv).labels()
    full = {i for i, lab in labels.items() if all(lab[t] for t in task_names())}
    in_pool = [p["id"] for p in corpus.preds if p["id"] in full]
    assert in_pool, "the held-out part should hold fully labelled studies"
    out = tmp_path / "q.csv"
    assert review(["--predictions", str(corpus.pred_file), "--export", str(out), "--top", "500",
                   "--annotations", str(corpus.labels_csv)]) == 0
    ids = {r["id"] for r in read_queue(out)[1]}
    assert not ids & full
    # and, by default, studies whose every label may be accepted unread
    from classifier.review.strategies import all_confident

    confident = {p["id"] for p in corpus.preds if all_confident(p)}
    assert ids == {p["id"] for p in corpus.preds} - full - confident


# ---- import ----------------------------------------------------------------------------------------
def test_import_merges_filled_rows_and_logs_each_decision(corpus, tmp_path, capsys):
    out = export(corpus, tmp_path)
    header, rows = read_queue(out)
    labels_path = blank_labels(corpus, tmp_path, [r["id"] for r in rows])
    before = read_table(labels_path)
    rows[0].update(role="Co-creation", phases="design; delivery", boundary_spanner="TRUE", reviewer="ana",
                   note="checked full text")
    rows[2].update(role="peer_support", reviewer="")
    write_queue(out, header, rows)
    assert review(["import", str(out), "--annotations", str(labels_path), "--reviewer", "bo"]) == 0
    after = read_table(labels_path)
    a, c = after.index[rows[0]["id"]], after.index[rows[2]["id"]]
    assert (a["role"], a["phases"], a["boundary_spanner"]) == ("co_creation", "design;delivery", "true")
    assert c["role"] == "peer_support" and c["phases"] == ""
    assert a["role_source"] == "reviewed" and a["reviewed_by"] == "ana" and c["reviewed_by"] == "bo"
    # every other row and column is as it was
    untouched = [i for i in before.index if i not in (rows[0]["id"], rows[2]["id"])]
    for i in untouched:
        assert {k: v for k, v in after.index[i].items() if k in before.columns} == before.index[i]
    log = LabelStore(labels_path).log()
    assert [(r["study"], r["task"], r["new"], r["reviewer"]) for r in log] == [
        (rows[0]["id"], "role", "co_creation", "ana"), (rows[0]["id"], "phases", "design;delivery", "ana"),
        (rows[0]["id"], "boundary_spanner", "true", "ana"), (rows[2]["id"], "role", "peer_support", "bo")]
    assert log[0]["source"] == "queue.csv row 2" and log[0]["note"] == "checked full text"
    assert "imported 4 labels for 2 studies" in capsys.readouterr().out


def test_import_xlsx_roundtrip(corpus, tmp_path):
    from openpyxl import load_workbook

    out = export(corpus, tmp_path, "queue.xlsx", 5)
    wb = load_workbook(out)
    ws = wb["queue"]
    header = [c.value for c in ws[1]]
    ws.cell(row=3, column=header.index("role") + 1, value="pre_determined")
    ws.cell(row=3, column=header.index("boundary_spanner") + 1, value=False)  # Excel turns 'false' into FALSE
    ws.cell(row=3, column=header.index("reviewer") + 1, value="ana")
    wb.save(out)
    study = ws.cell(row=3, column=2).value
    labels_path = blank_labels(corpus, tmp_path, [study])
    assert review(["--import", str(out), "--annotations", str(labels_path)]) == 0
    row = read_table(labels_path).index[study]
    assert (row["role"], row["boundary_spanner"]) == ("pre_determined", "false")


def test_typo_refuses_the_whole_file_naming_row_and_column(corpus, tmp_path, capsys):
    out = export(corpus, tmp_path)
    header, rows = read_queue(out)
    labels_path = blank_labels(corpus, tmp_path, [r["id"] for r in rows])
    before = labels_path.read_bytes()
    rows[0].update(role="peer_support", reviewer="ana")          # a good row ...
    rows[1].update(role="peer suport", reviewer="ana")           # ... and a typo in spreadsheet row 3
    rows[4].update(boundary_spanner="maybe", reviewer="ana")     # and another in row 6
    write_queue(out, header, rows)
    assert review(["--import", str(out), "--annotations", str(labels_path)]) == 1
    errors = capsys.readouterr().err
    assert "queue.csv row 3, column role: 'peer suport' is not a role value" in errors
    assert "queue.csv row 6, column boundary_spanner: 'maybe'" in errors
    assert "nothing was written" in errors
    assert "Traceback" not in errors
    assert labels_path.read_bytes() == before
    assert not LabelStore(labels_path).log_path.exists()


@pytest.mark.parametrize("case", ["no_id_column", "binary", "broken_xlsx", "contradiction", "id_missing", "empty"])
def test_malformed_queue_files_are_refused(corpus, tmp_path, capsys, case):
    labels_path = blank_labels(corpus, tmp_path, [])
    before = labels_path.read_bytes()
    study = corpus.preds[0]["id"]
    path = tmp_path / ("queue.xlsx" if case == "broken_xlsx" else "queue.csv")
    expect = {"no_id_column": "queue.csv: no 'id' column",
              "binary": "queue.csv: not a CSV text file",
              "broken_xlsx": "queue.xlsx: not a readable .xlsx workbook",
              "contradiction": f"queue.csv row 3, column role: {study} already given 'peer_support' in row 2",
              "id_missing": "queue.csv row 3, column id: empty, but the row has labels",
              "empty": "queue.csv: empty file"}[case]
    if case == "no_id_column":
        path.write_text("study,role\nx,peer_support\n", encoding="utf-8")
    elif case == "binary":
        path.write_bytes(b"PK\x03\x04" + os.urandom(200))
    elif case == "broken_xlsx":
        path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    elif case == "contradiction":
        path.write_text(f"id,role,reviewer\n{study},peer_support,ana\n{study},co_creation,bo\n", encoding="utf-8")
    elif case == "id_missing":
        path.write_text(f"id,role,reviewer\n{study},peer_support,ana\n,co_creation,bo\n", encoding="utf-8")
    else:
        path.write_bytes(b"")
    assert review(["--import", str(path), "--annotations", str(labels_path)]) == 1
    errors = capsys.readouterr().err
    assert expect in errors
    assert "Traceback" not in errors
    assert labels_path.read_bytes() == before


def test_semicolon_csv_from_excel_is_read(corpus, tmp_path):
    study = corpus.preds[0]["id"]
    labels_path = blank_labels(corpus, tmp_path, [study])
    path = tmp_path / "queue.csv"
    path.write_bytes(f"id;title;role;phases;reviewer\r\n{study};Caf\xe9;peer_support;delivery;ana\r\n".encode("cp1252"))
    assert review(["--import", str(path), "--annotations", str(labels_path)]) == 0
    assert read_table(labels_path).index[study]["role"] == "peer_support"


def test_conflicting_label_is_kept_reported_and_resolvable(corpus, tmp_path, capsys):
    labels_path = blank_labels(corpus, tmp_path, [])
    store = LabelStore(labels_path)
    stated = next(i for i, row in read_table(labels_path).index.items()
                  if row["role_source"] == "review_stated" and row["role"] == "pre_determined")
    queue = tmp_path / "queue.csv"
    queue.write_text(f"id,role,reviewer\n{stated},co_creation,ana\n", encoding="utf-8")
    assert review(["--import", str(queue), "--annotations", str(labels_path)]) == 0
    out = capsys.readouterr().out
    assert "1 conflicts kept for a decision" in out and stated in out
    assert read_table(labels_path).index[stated]["role"] == "pre_determined"
    [conflict] = store.conflicts()
    assert (conflict.study_id, conflict.current, conflict.proposed, conflict.reviewer) == (
        stated, "pre_determined", "co_creation", "ana")
    assert review(["resolve", "--annotations", str(labels_path)]) == 0
    assert "1 conflicts waiting" in capsys.readouterr().out
    assert review(["resolve", stated, "role", "keep", "--annotations", str(labels_path), "--reviewer", "lead"]) == 0
    assert store.conflicts() == []
    assert read_table(labels_path).index[stated]["role"] == "pre_determined"
    # a second reviewer proposes again; this time the lead accepts the proposal
    assert review(["--import", str(queue), "--annotations", str(labels_path)]) == 0
    assert review(["--resolve", stated, "role", "co_creation", "--annotations", str(labels_path)]) == 0
    assert read_table(labels_path).index[stated]["role"] == "co_creation"
    assert store.log()[-1]["outcome"] == "overwritten"


def test_two_reviewers_importing_at_once_keep_both(corpus, tmp_path):
    labels_path = blank_labels(corpus, tmp_path, [])
    n = 300
    queues = []
    for who in ("ana", "bo"):
        q = tmp_path / f"{who}.csv"
        lines = ["id,role,phases,boundary_spanner,reviewer"]
        lines += [f"{who}_{i:04d},peer_support,delivery,{'true' if i % 2 else 'false'},{who}" for i in range(n)]
        lines += [f"shared_study,{'co_creation' if who == 'ana' else 'pre_determined'},,,{who}"]
        q.write_text("\n".join(lines) + "\n", encoding="utf-8")
        queues.append(q)
    procs = [subprocess.Popen([sys.executable, "-m", "classifier", "review", "--import", str(q), "--annotations",
                               str(labels_path)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for q in queues]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    table = read_table(labels_path)
    for who in ("ana", "bo"):
        for i in range(n):
            row = table.index[f"{who}_{i:04d}"]
            assert (row["role"], row["boundary_spanner"]) == ("peer_support", "true" if i % 2 else "false")
    # the study both labelled differently: one value is in the file, the other is a kept conflict
    store = LabelStore(labels_path)
    in_file = table.index["shared_study"]["role"]
    [conflict] = store.conflicts()
    assert {in_file, conflict.proposed} == {"co_creation", "pre_determined"}
    assert len(store.log()) == 2 * (3 * n + 1)


def test_kill_9_during_import_loses_nothing_confirmed(corpus, tmp_path):
    labels_path = blank_labels(corpus, tmp_path, [])
    store = LabelStore(labels_path)
    confirmed = [Decision(f"confirmed_{i}", "role", "co_creation", "ana", "earlier") for i in range(5)]
    store.record(confirmed)
    q = tmp_path / "big.csv"
    rows = ["id,role,phases,boundary_spanner,reviewer"]
    rows += [f"bulk_{i:05d},pre_determined,design;delivery,true,bo" for i in range(6000)]
    q.write_text("\n".join(rows) + "\n", encoding="utf-8")
    outcomes = set()
    for delay in (0.4, 0.9, 1.4, 2.0, 2.8):
        proc = subprocess.Popen([sys.executable, "-m", "classifier", "review", "--import", str(q), "--annotations",
                                 str(labels_path)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        table = read_table(labels_path)  # a valid CSV every time
        for d in confirmed:
            assert table.index[d.study_id]["role"] == "co_creation"
        bulk = [i for i in table.index if i.startswith("bulk_")]
        assert len(bulk) in (0, 6000)  # all of the import or none of it, never half
        outcomes.add(len(bulk))
        if bulk:
            break
    # whatever happened, importing again completes it and the file is whole
    assert review(["--import", str(q), "--annotations", str(labels_path)]) == 0
    table = read_table(labels_path)
    assert sum(1 for i in table.index if i.startswith("bulk_")) == 6000
    assert all(table.index[d.study_id]["role"] == "co_creation" for d in confirmed)


# ---- the queue finds the errors ------------------------------------------------------------------
def test_least_certain_fifth_holds_errors_well_above_the_overall_rate(corpus):
    """Held-out studies (five stratified 70/30 splits, pooled): the least certain fifth of the queue
    (uncertainty, the default, and margin) holds the model's role errors at least 1.5 times as often as
    the held-out studies overall (a random order: about once). Measured with the temperature-scaled,
    most-probable-value labels: 1.96x for uncertainty, 1.74x for margin."""
    from sklearn.model_selection import train_test_split

    from classifier.model import ChartingModel
    from classifier.review.texts import load_documents

    docs = load_documents(corpus.texts)
    labels = corpus.labels
    ids = corpus.train + corpus.test
    runs = [corpus.preds]
    for seed in range(1, 5):
        train, test = train_test_split(ids, test_size=0.3, random_state=seed,
                                       stratify=[labels.loc[i, "role"] for i in ids])
        model = ChartingModel().fit([docs[i] for i in train], labels.loc[train])
        runs.append(model.predict([docs[i] for i in test]))
    for strategy in ("uncertainty", "margin"):
        head_wrong, all_wrong = [], []
        for preds in runs:
            ranked = rank(strategy, preds, include_confident=True)  # every held-out study, in queue order
            wrong = [preds[i]["role"] != labels.loc[preds[i]["id"], "role"] for i, _ in ranked]
            head_wrong += wrong[: round(0.2 * len(wrong))]
            all_wrong += wrong
        head, overall = np.mean(head_wrong), np.mean(all_wrong)
        print(f"{strategy}: role error rate overall {overall:.3f}, least certain 20% {head:.3f} "
              f"({head / overall:.2f}x) over {len(runs)} held-out splits of {len(corpus.test)}")
        assert 0 < overall < 0.5
        assert head >= 1.5 * overall, strategy


def test_bad_predictions_file_and_arguments_give_one_line(corpus, tmp_path, capsys):
    bad = tmp_path / "pred.jsonl"
    bad.write_text('{"id": "x", "status": "error", "error": "scan.pdf: no text layer"}\nnot json\n', encoding="utf-8")
    assert review(["--predictions", str(bad), "--export", str(tmp_path / "q.csv")]) == 1
    err = capsys.readouterr().err
    assert "pred.jsonl line 2: not valid JSON" in err and "no text layer" in err
    assert review(["--predictions", str(tmp_path / "missing.jsonl"), "--export", str(tmp_path / "q.csv")]) == 2
    assert "missing.jsonl: no such file" in capsys.readouterr().err
    assert review(["--predictions", str(corpus.pred_file), "--export", str(tmp_path / "q.txt")]) == 2
    assert review(["--import", str(tmp_path / "q.csv")]) == 2
    assert "--annotations CSV is required" in capsys.readouterr().err


def test_retrain_writes_a_loadable_model_with_its_card(corpus, tmp_path, capsys):
    from classifier.model import load_model

    labels_path = blank_labels(corpus, tmp_path, [corpus.test[0]])
    LabelStore(labels_path).record([Decision(corpus.test[0], "role", "co_creation", "ana", "queue.csv row 2")])
    out = tmp_path / "models" / "reviewed"
    args = ["--retrain", "--annotations", str(labels_path), "--out", str(out)]
    assert review(args) == 2  # no --texts
    assert "retrain needs --texts" in capsys.readouterr().err
    assert review(args + [*(x for t in corpus.texts for x in ("--texts", str(t)))]) == 0
    assert "reviewed decisions" in capsys.readouterr().out
    model = load_model(out)
    card = json.loads((out / "model_card.json").read_text("utf-8"))
    assert card["review"]["reviewed_decisions"] == 1 and card["review"]["reviewers"] == ["ana"]
    assert card["review"]["labels_reviewed"] == 1
    assert card["n_documents"] >= 190
    from classifier.review.texts import load_documents

    pred = model.predict([load_documents(corpus.texts, ids={corpus.test[1]})[corpus.test[1]]])[0]
    assert pred["status"] == "ok" and pred["role"] in ("pre_determined", "peer_support", "co_creation")


def test_the_older_flag_forms_are_aliases_of_the_subcommands(monkeypatch):
    from classifier.review import cli

    pairs = [
        (["--predictions", "p.jsonl", "--export", "q.xlsx", "--top", "5"],
         ["export", "q.xlsx", "--predictions", "p.jsonl", "--top", "5"]),
        (["--import", "q.xlsx", "--annotations", "l.csv"], ["import", "q.xlsx", "--annotations", "l.csv"]),
        (["--conflicts", "--annotations", "l.csv"], ["resolve", "--annotations", "l.csv"]),
        (["--resolve", "x", "role", "keep", "--annotations", "l.csv"],
         ["resolve", "x", "role", "keep", "--annotations", "l.csv"]),
        (["--retrain", "--annotations", "l.csv", "--texts", "t", "--out", "m"],
         ["retrain", "--annotations", "l.csv", "--texts", "t", "--out", "m"]),
        (["--predictions", "p.jsonl", "--annotations", "l.csv"],
         ["session", "--predictions", "p.jsonl", "--annotations", "l.csv"]),
    ]
    for old, new in pairs:
        seen = []
        for name in ("export", "import_", "resolve", "retrain", "session"):
            monkeypatch.setattr(cli, name, lambda args, name=name: seen.append((name, args)) or 0)
        assert cli.main(old) == 0 and cli.main(new) == 0
        (a_name, a), (b_name, b) = seen
        assert a_name == b_name
        for key in ("queue", "predictions", "annotations", "top", "decision", "texts", "out"):
            if hasattr(b, key):  # what the subcommand takes, the older form gives the same
                assert getattr(a, key) == getattr(b, key), (old, key)
