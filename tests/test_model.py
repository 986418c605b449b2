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
KEYS = ["id", "source", "title", "status", "error",
        "role", "role_confidence", "p_role_pre_determined", "p_role_peer_support", "p_role_co_creation",
        "role_status", "role_set",
        "phases", "p_phase_commissioning", "p_phase_design", "p_phase_delivery", "p_phase_assessment",
        "phases_status", "phases_set",
        "boundary_spanner", "p_boundary_spanner", "boundary_spanner_status", "peer_terms", "evidence", "evidence_notes"]


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

    model = ChartingModel().set_params(C_grid=fitted.C_grid)
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
    assert model.kinds_["boundary_spanner"] == "constant" and model.n_train_["boundary_spanner"] == 0
    p = model.predict(docs[:2])
    assert all(x["status"] == "ok" and x["role"] in ("pre_determined", "peer_support", "co_creation") for x in p)
    # nothing learnt about boundary spanning: never a label to accept unread
    assert all(x["boundary_spanner_status"] == "check" for x in p)
    with pytest.raises(ValueError, match="no labelled documents"):
        ChartingModel().fit(docs, lab.iloc[:0])


def _passthrough_columns(estimator):
    from classifier.model.estimators import members

    [cols] = {tuple(c) for p in members(estimator) for n, _, c in p.named_steps["features"].transformers
              if n == "rules"}
    return cols


def test_yes_no_models_read_only_the_codebook_words_of_their_task(fitted):
    bs_cols = _passthrough_columns(fitted.estimators_["boundary_spanner"])
    assert bs_cols and all(c.startswith("rule_boundary_spanning") or c == "cue_boundary_spanner:true"
                           for c in bs_cols)
    assert any("@peer_actor" in c for c in bs_cols)        # the cue in a sentence about the peer worker
    assert "cue_boundary_spanner:true" in bs_cols          # the graded best-sentence score
    from classifier.model.estimators import members

    [role_pipe] = members(fitted.estimators_["role"])
    role_steps = [n for n, _, _ in role_pipe.named_steps["features"].transformers]
    assert role_steps == ["words", "rules"]                # role: TF-IDF words and every lexicon
    assert any("manualised" in c for c in _passthrough_columns(fitted.estimators_["role"]))
    for target in ("phase_design", "phase_assessment"):
        if fitted.kinds_[target] == "logistic":
            cols = _passthrough_columns(fitted.estimators_[target])
            assert f"rulesays_{target}" in cols and not any("manualised" in c for c in cols)
            assert f"cue_phases:{target[len('phase_'):]}" in cols and not any(c.startswith("cue_role") for c in cols)
    # boundary spanner reads its words only where the peer worker is named (the lexicon's near: actor)
    bs = _passthrough_columns(fitted.estimators_["boundary_spanner"])
    assert "rule_boundary_spanning@peer_actor_all" in bs and "cue_boundary_spanner:true" in bs
    assert not any(c.startswith("rule_boundary_spanning_") for c in bs)


def test_regularisation_is_chosen_inside_fit_from_the_grid(small):
    docs, lab = small
    model = ChartingModel(C_grid=(0.01, 100.0)).fit(docs, lab)
    assert set(model.C_.values()) <= {0.01, 100.0} and "role" in model.C_
    fixed = ChartingModel(C_grid=(0.5,)).fit(docs, lab)
    assert set(fixed.C_.values()) == {0.5}
    from classifier.model.estimators import members

    assert [p.named_steps["clf"].C for p in members(fixed.estimators_["role"])] == [0.5]


def test_full_text_labels_the_abstract_cannot_show_are_left_out(corpus_docs, labels):
    lab = labels[labels["id"].isin(corpus_docs) & (labels["boundary_spanner"] != "")]
    docs = [corpus_docs[i] for i in lab["id"]]
    every = ChartingModel(text_can_show=False).fit(docs, lab)
    shown = ChartingModel().fit(docs, lab)
    table = shown._get_matcher()
    from classifier.features.table import featurize

    frame = featurize(docs, table).frame
    # silent: no boundary word in a sentence naming the peer worker (what the detector reads)
    silent = (frame["rule_boundary_spanning@peer_actor_front"] == 0) & (frame["rule_boundary_spanning@peer_actor_all"] == 0)
    review_true_silent = int(((lab["boundary_spanner"] == "true").to_numpy() & silent.to_numpy()
                              & (lab["boundary_spanner_source"] == "review_stated").to_numpy()).sum())
    assert review_true_silent > 0
    assert shown.n_train_["boundary_spanner"] == every.n_train_["boundary_spanner"] - review_true_silent
    # labels charted from the abstract itself are all kept
    assert shown.n_train_["boundary_spanner"] >= int((lab["boundary_spanner_source"] == "charted_abstract").sum())
    # the statuses are calibrated on the same labels: out-of-fold errors against what the text can show
    assert len(shown.oof_["boundary_spanner"]["truth"]) == shown.n_train_["boundary_spanner"]
    # shown_labels says which labels those are, for an evaluation to count errors both ways
    can = shown.shown_labels(docs, lab)["boundary_spanner"]
    left_out = can.isna() & (lab.set_index("id")["boundary_spanner"].reindex(can.index) != "")
    assert int(left_out.sum()) == review_true_silent
    assert set(lab.set_index("id").loc[left_out[left_out].index, "boundary_spanner"]) == {"true"}


def test_full_text_roles_the_abstract_cannot_show_are_left_out_of_the_statuses(corpus_docs, labels):
    """A role the review charted from the full text, on an abstract holding none of the words that mark
    it (data/lexicons `shows`: manualised for pre-determined; co-creation and design for co-creation),
    is still a training example of that role, but the statuses are not calibrated on it; abstract-charted
    roles always count."""
    from classifier.features.table import featurize

    lab = labels[labels["id"].isin(corpus_docs) & (labels["role"] != "")]
    docs = [corpus_docs[i] for i in lab["id"]]
    model = ChartingModel().fit(docs, lab)
    frame = featurize(docs, model._get_matcher()).frame
    words = {"pre_determined": ["manualised"], "co_creation": ["co_creation", "design"], "peer_support": ["peer_support"]}
    expected = set()
    for (i, row), (_, f) in zip(lab.iterrows(), frame.iterrows()):
        cols = [c for c in frame.columns if c.startswith("rule_") and any(c.startswith(f"rule_{w}") for w in words[row["role"]])]
        if row["role_source"] in ("review_stated", "review_inferred") and f[cols].sum() == 0:
            expected.add(row["id"])
    assert expected and model.n_train_["role"] == len(lab)
    shown = model.shown_labels(docs, lab)["role"]
    assert set(shown.index[shown.isna()]) == expected
    oof = model.oof_["role"]
    assert {i for i, ok in zip(oof["ids"], oof["shown"]) if not ok} == expected
    p_true = model._oof_task(__import__("classifier.schema", fromlist=["tasks"]).tasks()["role"])[0]
    assert len(p_true) == len(lab) - len(expected)


def test_delivery_has_no_words_an_abstract_could_lack(corpus_docs, labels):
    """The review states delivery of every study it names, in no particular words: no delivery label is
    left out for want of words, while a full-text design label with no design word in the abstract is."""
    lab = labels[labels["id"].isin(corpus_docs) & (labels["phases"] != "")]
    docs = [corpus_docs[i] for i in lab["id"]]
    model = ChartingModel().fit(docs, lab)
    n = len(lab)
    assert model.n_train_["phase_delivery"] == n
    shown = model.shown_labels(docs, lab)["phases"]
    left_out = lab.set_index("id")["phases"].reindex(shown.index)[shown.isna()]
    assert all("design" in v or "assessment" in v or "commissioning" in v for v in left_out)


def test_labels_are_the_most_probable_value(fitted, small):
    docs, _ = small
    for p in fitted.predict(docs):
        roles = {v: p[f"p_role_{v}"] for v in ("pre_determined", "peer_support", "co_creation")}
        assert p["role"] == max(roles, key=roles.get) and p["role_confidence"] == roles[p["role"]]
        assert (p["boundary_spanner"] == "true") == (p["p_boundary_spanner"] >= 0.5)
        for v in ("design", "assessment"):
            if p[f"p_phase_{v}"] >= 0.5:
                assert v in p["phases"].split(";")
        if p["role"] == "co_creation":   # co-creation implies an early phase
            assert {"design", "commissioning"} & set(p["phases"].split(";"))


def test_confident_labels_meet_the_error_rate_out_of_fold(fitted, small):
    docs, _ = small
    th = fitted.thresholds(0.45)   # a small training set: only a loose rate can be met
    _, conf, correct, chosen = fitted._oof_task(__import__("classifier.schema", fromlist=["tasks"]).tasks()["role"])
    levels = th["role"]["confident"]
    assert levels and set(levels) <= set(chosen)
    # per label, the labels accepted meet the rate out of fold, counting one more error (as conformal
    # prediction does)
    for value, level in levels.items():
        accepted = (chosen == value) & (conf >= level)
        assert accepted.any() and ((~correct[accepted]).sum() + 1) / (accepted.sum() + 1) <= 0.45
    strict, loose = fitted.predict(docs, error_rate=0.01), fitted.predict(docs, error_rate=0.2)
    n = lambda preds: sum(p["role_status"] == "confident" for p in preds)   # noqa: E731
    assert n(strict) <= n(loose)
    for p in loose:
        assert p["role_status"] in ("confident", "check")
        members = p["role_set"].split(";")
        assert p["role"] in members
        if p["role_status"] == "confident":
            assert members == [p["role"]]
            assert p["role_confidence"] >= fitted.thresholds(0.2)["role"]["confident"][p["role"]]


def test_a_document_that_never_mentions_peers_is_never_confident(fitted):
    text = ("Soil microbes and wheat yield. We measured nitrogen uptake in wheat grown on three soils over two "
            "seasons. Yield rose with nitrogen, and soil microbial diversity explained part of the difference.")
    doc = Document(id="wheat", source="wheat.txt", sections=[Section("abstract", "Abstract", text)])
    [p] = fitted.predict([doc], error_rate=0.5 - 1e-9)
    assert p["peer_terms"] == 0
    assert all(p[f"{t}_status"] == "check" for t in ("role", "phases", "boundary_spanner"))


def test_thresholds_by_hand():
    import numpy as np

    from classifier.model.charting import _task_thresholds

    # twenty studies, all labelled "a", confidences high to low; the 10th and 19th most confident are wrong
    conf = np.linspace(0.99, 0.6, 20)
    correct = np.ones(20, bool)
    correct[[9, 18]] = False
    p_true = np.where(correct, conf, 1 - conf)
    chosen = np.array(["a"] * 20, dtype=object)

    def level(rate):
        return _task_thresholds(None, (p_true, conf, correct, chosen), rate)["confident"].get("a")

    # (errors + 1) / (accepted + 1): down to the 20th, 3/21 = 0.143; the 18th, 2/19 = 0.105;
    # the 9th, 1/10 = 0.1; the 4th, 1/5 = 0.2
    assert level(0.15) == conf[19]
    assert level(0.11) == conf[17]
    assert level(0.1) == conf[8]
    # a few lucky studies never make a level confident: 1/(n+1) must reach the rate first
    assert level(0.05) is None
    # split-conformal set threshold: the ceil(21 * 0.85) = 18th smallest score 1 - p_true
    scores = np.sort(1 - p_true)
    assert _task_thresholds(None, (p_true, conf, correct, chosen), 0.15)["set"] == pytest.approx(1 - scores[17])


def test_each_label_value_gets_its_own_confident_level():
    """A rare label that is often wrong does not borrow the common label's record, and does not spoil it."""
    import numpy as np

    from classifier.model.charting import _task_thresholds

    # 30 "common" labels, all right; 10 "rare" labels with higher confidence, half of them wrong
    conf = np.r_[np.linspace(0.9, 0.6, 30), np.linspace(0.99, 0.91, 10)]
    correct = np.r_[np.ones(30, bool), np.tile([True, False], 5)]
    chosen = np.array(["common"] * 30 + ["rare"] * 10, dtype=object)
    p_true = np.where(correct, conf, 1 - conf)
    levels = _task_thresholds(None, (p_true, conf, correct, chosen), 0.05)["confident"]
    assert levels == {"common": conf[29]}   # every common label: 1/31 <= 0.05; the rare one never
    # pooled, the rare errors at the top would have left no level at all
    pooled = np.array(["x"] * 40, dtype=object)
    assert _task_thresholds(None, (p_true, conf, correct, pooled), 0.05)["confident"] == {}


def test_scikit_learn_estimator_conventions():
    from sklearn.base import clone
    from sklearn.utils.estimator_checks import check_get_params_invariance, check_no_attributes_set_in_init, \
        check_parameters_default_constructible

    model = ChartingModel(C_grid=(1.0,), error_rate=0.1)
    check_parameters_default_constructible("ChartingModel", model)
    check_no_attributes_set_in_init("ChartingModel", model)
    check_get_params_invariance("ChartingModel", model)
    copy = clone(model)
    assert copy.get_params() == model.get_params() and copy is not model
    assert ChartingModel().set_params(error_rate=0.02).error_rate == 0.02


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
