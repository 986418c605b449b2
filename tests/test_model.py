"""ChartingModel on real corpus abstracts (read from ../shared at run time): fit, predict, evidence,
safe save/load (a crafted model file is refused), the shipped model, and train.py."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from classifier.document import Document, Section
from classifier.io import read_records
from classifier.model import ChartingModel, ModelError, load_model, save_model

REPO = Path(__file__).resolve().parents[1]
KEYS = ["id", "source", "title", "status", "error", "role", "role_confidence", "p_role_pre_determined",
        "p_role_peer_support", "p_role_co_creation", "phases", "p_phase_commissioning", "p_phase_design",
        "p_phase_delivery", "p_phase_assessment", "boundary_spanner", "p_boundary_spanner", "evidence"]


@pytest.fixture(scope="module")
def corpus_docs(corpus_dir):
    docs = [r.to_document() for f in ("studies.jsonl", "charted_studies.jsonl")
            for r in read_records(corpus_dir / f) if not r.error]
    return {d.id: d for d in docs}


@pytest.fixture(scope="module")
def labels(shipped_labels):
    return pd.read_csv(shipped_labels, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def small(corpus_docs, labels):
    """A small fixture: every co-creation study plus the first peer-support/pre-determined ones."""
    lab = labels[labels["id"].isin(corpus_docs) & (labels["role"] != "")]
    pick = pd.concat([lab[lab.role == "co_creation"], lab[lab.role == "pre_determined"].head(12),
                      lab[lab.role == "peer_support"].head(24)])
    docs = [corpus_docs[i] for i in pick["id"]]
    return docs, pick


@pytest.fixture(scope="module")
def fitted(small):
    docs, lab = small
    return ChartingModel().fit(docs, lab)


def test_prediction_dicts_follow_the_contract(fitted, small):
    docs, _ = small
    preds = fitted.predict(docs[:8])
    assert [p["id"] for p in preds] == [d.id for d in docs[:8]]
    for p in preds:
        assert list(p) == KEYS
        assert p["status"] == "ok" and p["error"] == ""
        roles = {v: p[f"p_role_{v}"] for v in ("pre_determined", "peer_support", "co_creation")}
        assert abs(sum(roles.values()) - 1) < 1e-3
        assert p["role_confidence"] == roles[p["role"]]
        assert all(0 <= p[k] <= 1 for k in KEYS if k.startswith("p_"))
        assert p["boundary_spanner"] in ("true", "false")
        assert set(p["phases"].split(";")) <= {"commissioning", "design", "delivery", "assessment"}
        assert set(p["evidence"]) == {"role", "phases", "boundary_spanner"}
    assert sum(1 for p in preds if p["evidence"]["role"]) >= 6


def test_learns_the_training_roles(fitted, small):
    docs, lab = small
    preds = fitted.predict(docs)
    truth = dict(zip(lab["id"], lab["role"]))
    correct = sum(p["role"] == truth[p["id"]] for p in preds)
    assert correct / len(preds) >= 0.8


def test_evidence_is_verbatim_and_never_from_references(fitted, small):
    docs, _ = small
    doc = docs[0]
    refs = Section("references", "References", "Smith J. Peer navigators bridge and link services: "
                   "advocacy, brokering and liaison in co-designed, manualised programmes. 2019.")
    full = Document(source="x.pdf", id="with_refs", sections=list(doc.sections) + [refs])
    for p, d in ((fitted.predict([full])[0], full), (fitted.rules_predict([full])[0], full)):
        texts = {s.name: s.text for s in d.sections}
        items = [e for task in p["evidence"].values() for e in task]
        assert items
        for e in items:
            assert e["section"] != "references"
            assert texts[e["section"]][e["start"]:e["end"]] == e["text"]


def test_references_do_not_change_the_prediction(fitted, small):
    docs, _ = small
    doc = docs[3]
    refs = Section("references", "References", "Bridging and navigating: co-design boards. " * 20)
    plus = Document(source="y.pdf", id=doc.id, sections=list(doc.sections) + [refs])
    a, b = fitted.predict([doc])[0], fitted.predict([plus])[0]
    assert {k: a[k] for k in KEYS[5:-1]} == {k: b[k] for k in KEYS[5:-1]}


def test_empty_document_is_an_error_row_not_an_exception(fitted):
    p = fitted.predict([Document(source="empty.txt", id="empty")])[0]
    assert p["status"] == "error" and "no text" in p["error"]


def test_save_and_fresh_load_reproduce_predictions(fitted, small, tmp_path):
    docs, _ = small
    save_model(fitted, tmp_path / "m", {"name": "fixture"})
    assert json.loads((tmp_path / "m" / "model_card.json").read_text())["name"] == "fixture"
    code = ("import json,sys; from classifier.model import load_model; from classifier.io import read_records;"
            "m=load_model(sys.argv[1]); ids=set(sys.argv[3:]);"
            "docs=[r.to_document() for f in ('studies.jsonl','charted_studies.jsonl') for r in "
            "read_records(sys.argv[2]+'/'+f) if r.id in ids];"
            "docs.sort(key=lambda d: sys.argv[3:].index(d.id));"
            "print(json.dumps(m.predict(docs)))")
    ids = [d.id for d in docs[:6]]
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "m"), str(docs[0].source).split("#")[0]
                          .rsplit("/", 1)[0], *ids], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    fresh = json.loads(out.stdout)
    assert fresh == json.loads(json.dumps(fitted.predict(docs[:6])))


def _rewrite_schema(src: Path, dst: Path, old: str, new: str):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "schema.json":
                text = data.decode()
                assert old in text
                data = text.replace(old, new).encode()
            zout.writestr(item, data)


def test_crafted_model_file_is_refused(fitted, tmp_path):
    save_model(fitted, tmp_path / "ok", {})
    evil = tmp_path / "evil"
    evil.mkdir()
    # a file that would build os.system instead of a LogisticRegression
    _rewrite_schema(tmp_path / "ok" / "model.skops", evil / "model.skops",
                    '"__module__": "sklearn.linear_model._logistic"', '"__module__": "os"')
    with pytest.raises(ModelError, match=r"refused.*os\.LogisticRegression"):
        load_model(evil)


def test_foreign_type_is_refused(fitted, tmp_path):
    import skops.io as sio

    class Payload:  # any type outside the project's list, however harmless it looks
        pass

    model = ChartingModel().set_params(C=fitted.C)
    model.__dict__.update(fitted.__dict__)
    model.extra = Payload()
    path = tmp_path / "foreign.skops"
    sio.dump(model, str(path))
    with pytest.raises(ModelError, match="refused to load"):
        load_model(path)


def test_garbage_and_missing_model_files(tmp_path):
    bad = tmp_path / "model.skops"
    bad.write_text("<html>not a model</html>")
    with pytest.raises(ModelError, match="model.skops"):
        load_model(bad)
    with pytest.raises(ModelError, match="no model file"):
        load_model(tmp_path / "nothing")


def test_shipped_model_loads_and_predicts(corpus_docs):
    model = load_model()
    doc = Document.from_record("new_1", "Peer navigators bridging primary care and mental health services",
                               "Peer navigators with lived experience helped clients navigate the health system, "
                               "advocated for them and linked them to primary care.")
    p = model.predict([doc])[0]
    assert p["status"] == "ok" and p["boundary_spanner"] == "true"
    assert any("navigat" in e["text"] for e in p["evidence"]["boundary_spanner"])


def test_unknown_labels_are_not_negatives_and_inferred_can_be_dropped(corpus_docs, labels):
    m = ChartingModel(use_inferred=False)
    ids = list(labels["id"])
    t = m._targets(labels, ids)
    lab = labels.set_index("id")
    inferred = lab.index[lab["role_source"] == "review_inferred"]
    assert len(inferred) > 20 and all(t["role"][i] is None for i in inferred)
    unknown_bs = lab.index[lab["boundary_spanner"] == ""]
    assert all(t["boundary_spanner"][i] is None for i in unknown_bs)
    t2 = ChartingModel(use_inferred=True)._targets(labels, ids)
    assert all(t2["role"][i] == "peer_support" for i in inferred)


def test_train_cli_writes_a_loadable_model(small, tmp_path, corpus_dir):
    docs, lab = small
    lab.to_csv(tmp_path / "labels.csv", index=False)
    out = tmp_path / "model"
    r = subprocess.run([sys.executable, "train.py", "--labels", str(tmp_path / "labels.csv"), "--texts",
                        str(corpus_dir / "studies.jsonl"), str(corpus_dir / "charted_studies.jsonl"),
                        "--out", str(out), "--cv-repeats", "0"], capture_output=True, text=True, cwd=REPO,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    card = json.loads((out / "model_card.json").read_text())
    assert card["data"]["n_documents"] == len(docs)
    assert sum(card["label_counts"]["role"]["review_stated"].values()) > 0
    assert "scikit-learn" in card["libraries"]
    assert (out / "MODEL_CARD.md").read_text().startswith("# Model card")
    assert load_model(out).predict(docs[:1])[0]["status"] == "ok"


def test_train_cli_bad_labels_is_one_line(tmp_path, corpus_dir):
    bad = tmp_path / "labels.csv"
    bad.write_text("id,role\nx_2020,helper\n")
    r = subprocess.run([sys.executable, "train.py", "--labels", str(bad), "--texts", str(corpus_dir / "studies.jsonl"),
                        "--out", str(tmp_path / "m")], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "row 2 column role" in r.stderr


def test_full_text_pdf_evidence_is_verbatim_extracted_text(pdf_dir):
    from classifier.extract import load_document

    pdf = sorted(pdf_dir.glob("*.pdf"))[0]
    doc = load_document(pdf)
    p = load_model().predict([doc])[0]
    assert p["status"] == "ok"
    texts = {}
    for s in doc.sections:
        texts.setdefault(s.name, []).append(s.text)
    items = [e for task in p["evidence"].values() for e in task]
    assert items
    for e in items:
        assert e["section"] != "references"
        assert any(t[e["start"]:e["end"]] == e["text"] for t in texts[e["section"]])
        assert e["text"] in doc.text


def test_tiny_training_sets_still_give_predictions(corpus_docs, labels):
    """Early active-learning rounds: a handful of labels, some tasks with none at all."""
    docs = list(corpus_docs.values())[:8]
    lab = labels[labels["id"].isin([d.id for d in docs])][["id", "role"]]
    model = ChartingModel().fit(docs, lab)
    assert "codebook prior" in model.kinds_["boundary_spanner"]
    p = model.predict(docs[:2])
    assert all(x["status"] == "ok" and x["role"] in ("pre_determined", "peer_support", "co_creation") for x in p)
    with pytest.raises(ValueError, match="no labelled documents"):
        ChartingModel().fit(docs, lab.iloc[:0])


def test_phase_with_too_few_positives_follows_the_fixed_rule_and_survives_a_reload(small, tmp_path):
    docs, lab = small
    n_comm = sum("commissioning" in p.split(";") for p in lab["phases"])
    assert 0 < n_comm < 3   # the fixture holds the corpus's one or two commissioning studies
    model = ChartingModel(rule_fallback=3).fit(docs, lab)
    assert model.kinds_["phase_commissioning"].startswith("RulePrior")
    assert not model.kinds_["phase_design"].startswith("RulePrior")
    preds, rules = model.predict(docs), model.rules_predict(docs)
    said = [("commissioning" in r["phases"].split(";")) for r in rules]
    assert any(said) and not all(said)
    for p, r, s in zip(preds, rules, said):
        # the rule's decision, as a probability: higher wherever the rule fires
        assert (p["p_phase_commissioning"] > 0.1) == s, (p["id"], p["p_phase_commissioning"])
        if s and p["role"] != "co_creation":
            assert "commissioning" in p["phases"].split(";")
    save_model(model, tmp_path / "fb", {"name": "fallback"})
    assert load_model(tmp_path / "fb").predict(docs[:8]) == json.loads(json.dumps(preds[:8]))


def _passthrough_columns(estimator):
    from classifier.model.estimators import members

    [cols] = {tuple(c) for p in members(estimator) for n, _, c in p.named_steps["features"].transformers
              if n == "rules"}
    return cols


def test_scoped_boundary_model_reads_only_its_lexicon_and_a_cv_threshold_decides(small):
    docs, lab = small
    lab = lab.assign(boundary_spanner=["true" if i % 3 else "false" for i in range(len(lab))])
    model = ChartingModel(rules_only_tasks=("boundary_spanner",), scoped_rules=("boundary_spanner",),
                          bs_threshold="f1_true").fit(docs, lab)
    bs_cols = _passthrough_columns(model.estimators_["boundary_spanner"])
    assert bs_cols and all(c.startswith("rule_boundary_spanning") for c in bs_cols)
    assert any("manualised" in c for c in _passthrough_columns(model.estimators_["role"]))
    t = model.thresholds_["boundary_spanner"]
    assert 0.0 < t < 1.0
    row = model.predict_proba_table(docs[:1]).iloc[0].copy()
    row["p_boundary_spanner"] = t + 1e-6
    assert model.decide(row)["boundary_spanner"] == "true"
    row["p_boundary_spanner"] = t - 1e-6
    assert model.decide(row)["boundary_spanner"] == "false"
    for p in model.predict(docs[:10]):   # evidence for a "true" carries boundary-spanning words
        if p["boundary_spanner"] == "true" and p["evidence"]["boundary_spanner"]:
            assert all(e["score"] > 0 for e in p["evidence"]["boundary_spanner"])


def test_boundary_labels_can_be_limited_to_one_source(corpus_docs, labels):
    lab = labels[labels["id"].isin(corpus_docs) & (labels["boundary_spanner"] != "")]
    docs = [corpus_docs[i] for i in lab["id"]]
    every = ChartingModel(rules_only_tasks=("boundary_spanner",)).fit(docs, lab)
    abstract = ChartingModel(rules_only_tasks=("boundary_spanner",), bs_sources=("charted_abstract",)).fit(docs, lab)
    n_abstract = int((lab["boundary_spanner_source"] == "charted_abstract").sum())
    assert abstract.n_train_["boundary_spanner"] == n_abstract < every.n_train_["boundary_spanner"]


def test_boundary_labels_can_be_weighted_by_source(corpus_docs, labels):
    lab = labels[labels["id"].isin(corpus_docs) & (labels["boundary_spanner"] != "")]
    docs = [corpus_docs[i] for i in lab["id"]]
    params = dict(rules_only_tasks=("boundary_spanner",), scoped_rules=("boundary_spanner",))
    equal = ChartingModel(**params).fit(docs, lab)
    light = ChartingModel(**params, bs_source_weights={"review_stated": 0.25}).fit(docs, lab)
    review = (lab["boundary_spanner_source"] == "review_stated").to_numpy()
    true = (lab["boundary_spanner"] == "true").to_numpy()
    w = [0.25 if r else 1.0 for r in review]
    expected = sum(wi for wi, t in zip(w, true) if t) / sum(w)
    # the class frequencies the decision divides by are the weighted ones the model saw
    assert light.priors_["boundary_spanner"]["true"] == pytest.approx(expected)
    assert equal.priors_["boundary_spanner"]["true"] == pytest.approx(true.mean())
    assert expected < true.mean()          # the review's labels are mostly `true`
    # lighter review labels (mostly `true`) lower P(true) where there is no boundary word
    pe = equal.predict_proba_table(docs)["p_boundary_spanner"].to_numpy()
    pl = light.predict_proba_table(docs)["p_boundary_spanner"].to_numpy()
    assert pl.min() < pe.min() and light.get_params()["bs_source_weights"] == {"review_stated": 0.25}


def test_phase_rule_gate_caps_a_phase_the_fixed_rule_does_not_see(small):
    docs, lab = small
    free = ChartingModel().fit(docs, lab)
    gated = ChartingModel(phase_rule_gate=True).fit(docs, lab)
    assert 0.0 <= gated.gates_["phase_design"] < gated.priors_["phase_design"]["true"]
    rules = gated.rules_predict(docs)
    p_free, p_gated = free.predict_proba_table(docs), gated.predict_proba_table(docs)
    for i, r in enumerate(rules):
        if "design" in r["phases"].split(";"):        # rule fires: the model's own probability
            assert p_gated.loc[i, "p_phase_design"] == pytest.approx(p_free.loc[i, "p_phase_design"])
        else:                                          # rule silent: capped, and never labelled design
            assert p_gated.loc[i, "p_phase_design"] <= gated.gates_["phase_design"] + 1e-12
    silent = [i for i, r in enumerate(rules) if "design" not in r["phases"].split(";")]
    assert silent
    no_coupling = ChartingModel(phase_rule_gate=True, couple_phases=False).fit(docs, lab)
    for i, p in enumerate(no_coupling.predict(docs)):
        if i in silent:
            assert "design" not in p["phases"].split(";")


def test_text_without_headings_is_classified_from_its_single_section(tmp_path):
    """A pasted .txt with no heading is one `other` section (extraction's rule); it is still the text."""
    from classifier.extract import load_document

    path = tmp_path / "pasted.txt"
    path.write_text("Peer support workers helped clients navigate the housing and benefits system and acted\n"
                    "as a bridge between service users and the clinical team. They shared their lived\n"
                    "experience of recovery with the people they supported.\n", encoding="utf-8")
    doc = load_document(path)
    assert [s.name for s in doc.sections] == ["other"]
    pred = load_model().predict([doc])[0]
    assert pred["status"] == "ok", pred.get("error")
    assert pred["boundary_spanner"] == "true"
    assert any("navigate" in e["text"] for e in pred["evidence"]["boundary_spanner"])


def test_evidence_skips_run_in_labels():
    """Abstract labels such as "Background" split off as sentences are never shown as evidence,
    however high they score."""
    import numpy as np

    from classifier.extract.sentences import split_sentences
    from classifier.features.table import SentenceInfo
    from classifier.model import evidence as ev

    abstract = ("Background\n\nPeer workers co-designed the service with the planning group.\n\n"
                "Conclusion\n\nPeer workers bridged services and users.")
    infos = [SentenceInfo("abstract", s) for s in split_sentences(abstract)]
    assert [i.sentence.text for i in infos][0] == "Background"
    scores = np.array([5.0 if len(i.sentence.text.split()) == 1 else 1.0 for i in infos])
    picked = ev.pick(infos, scores, k=3)
    assert [p["text"] for p in picked] == ["Peer workers co-designed the service with the planning group.",
                                         "Peer workers bridged services and users."]
