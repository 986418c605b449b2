"""The review page's server side, through Flask's test client (no browser): pages, saving through the
label store, conflicts, escaping, the host/origin guards, the model page and bad inputs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.tables import csv_rows as read_csv

from classifier.review.store import LabelStore
from classifier.web import ServeConfig, create_app
from classifier.web.cli import main as serve_main
from classifier.web.highlight import build_view, segments
from classifier.io.predictions import PredictionsError, load_predictions
from helpers.sample import write_sample


@pytest.fixture()
def sample(tmp_path):
    return write_sample(tmp_path / "sample", n=8)


class PageClient:
    """Flask's test client acting as the review page in a browser: its posts carry the session's
    token, as the page's forms do (``raw`` is the bare client, for requests from elsewhere)."""

    def __init__(self, client):
        self.raw = client

    def token(self) -> str:
        self.raw.get("/queue")
        with self.raw.session_transaction() as session:
            return session["csrf"]

    def post(self, *args, **kwargs):
        data = dict(kwargs.pop("data", None) or {})
        data.setdefault("csrf_token", self.token())
        return self.raw.post(*args, data=data, **kwargs)

    def __getattr__(self, name):
        return getattr(self.raw, name)


def make_client(sample, **extra):
    config = ServeConfig(predictions=sample["predictions"], annotations=sample["annotations"],
                         report=sample.get("report"), **extra)
    return PageClient(create_app(config).test_client())


def test_queue_lists_every_document_with_progress(sample):
    client = make_client(sample)
    html = client.get("/queue").get_data(as_text=True)
    assert html.count('class="doc-link"') == 8
    assert "<strong>0</strong> reviewed of <strong>8</strong> queued" in html


def test_queue_filters_by_task_and_predicted_label(sample):
    preds = [json.loads(line) for line in sample["predictions"].read_text().splitlines()]
    expected = {p["id"] for p in preds if "design" in p["phases"].split(";")}
    client = make_client(sample)
    html = client.get("/queue?task=phases&label=design").get_data(as_text=True)
    shown = {p["id"] for p in preds if f'data-id="{p["id"]}"' in html}
    assert shown == expected and 0 < len(shown) < len(preds)
    html = client.get("/queue?label=role:co_creation").get_data(as_text=True)
    shown = {p["id"] for p in preds if f'data-id="{p["id"]}"' in html}
    assert shown == {p["id"] for p in preds if p["role"] == "co_creation"}


def test_save_goes_through_the_store_and_logs_every_decision(sample):
    client = make_client(sample)
    response = client.post("/doc/study_002", data={"role": "pre_determined", "phases": ["design", "delivery"],
                                                   "boundary_spanner": "false", "note": "checked methods",
                                                   "reviewer": "ann"})
    assert response.status_code == 303
    labels = LabelStore(sample["annotations"]).labels()
    assert labels["study_002"] == {"eligible": None, "role": "pre_determined", "phases": "design;delivery",
                                   "boundary_spanner": "false", "exclusion_reason": None}
    log = read_csv(sample["annotations"].with_name("labels.log.csv"))
    assert [(r["study"], r["task"], r["new"], r["source"], r["note"], r["outcome"]) for r in log] == [
        ("study_002", "role", "pre_determined", "web", "checked methods", "applied"),
        ("study_002", "phases", "design;delivery", "web", "checked methods", "applied"),
        ("study_002", "boundary_spanner", "false", "web", "checked methods", "applied"),
    ]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="saved-message"' in page
    assert 'name="role" value="pre_determined" checked' in page  # the form shows the saved label
    assert "<strong>1</strong> reviewed of <strong>8</strong>" in client.get("/queue").get_data(as_text=True)


def test_a_differing_human_label_is_kept_until_forced(sample):
    client = make_client(sample)
    client.post("/doc/study_003", data={"role": "co_creation", "reviewer": "ann"})
    response = client.post("/doc/study_003", data={"role": "peer_support", "reviewer": "bob"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Label conflicts kept for a decision" in page
    assert LabelStore(sample["annotations"]).labels()["study_003"]["role"] == "co_creation"
    assert sample["annotations"].with_name("labels.conflicts.csv").exists()
    queue = client.get("/queue").get_data(as_text=True)
    assert "1 label conflict(s) wait for a decision" in queue and 'href="/doc/study_003">study_003</a> (role)' in queue
    client.post("/doc/study_003", data={"role": "peer_support", "reviewer": "bob", "force": "role"})
    assert LabelStore(sample["annotations"]).labels()["study_003"]["role"] == "peer_support"
    outcomes = [r["outcome"] for r in read_csv(sample["annotations"].with_name("labels.log.csv"))]
    assert outcomes == ["applied", "conflict", "overwritten"]
    assert "label conflict(s) wait" not in client.get("/queue").get_data(as_text=True)


def test_an_empty_form_saves_nothing_and_says_so(sample):
    client = make_client(sample)
    response = client.post("/doc/study_001", data={"role": "", "reviewer": "ann"})
    assert response.status_code == 400
    assert "Nothing to save" in response.get_data(as_text=True)
    assert not sample["annotations"].with_name("labels.log.csv").exists()


def test_a_bad_value_is_refused_with_a_message(sample):
    client = make_client(sample)
    response = client.post("/doc/study_001", data={"role": "boss", "reviewer": "ann"})
    assert response.status_code == 400
    assert "&#39;boss&#39; is not a role value" in response.get_data(as_text=True)


def test_document_text_is_escaped_never_rendered(tmp_path):
    evil = '<script>window.__pwned = 1</script>'
    section = f"Intro text. {evil} Peer workers bridged <b>services</b>."
    sentence = "Peer workers bridged <b>services</b>."
    start = section.index(sentence)
    pred = {"id": "evil_1", "title": f"Title {evil}", "source": "x", "role": "peer_support",
            "p_role_peer_support": 0.9, "evidence": {"boundary_spanner": [
                {"text": sentence, "section": "results", "start": start, "end": start + len(sentence)}]},
            "sections": [{"name": "results", "heading": "Results <i>", "text": section}]}
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps(pred) + "\n")
    labels = tmp_path / "labels.csv"
    client = PageClient(create_app(ServeConfig(predictions=preds, annotations=labels)).test_client())
    for url in ("/queue", "/doc/evil_1"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>window" not in html and "<b>services" not in html
        assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    html = client.get("/doc/evil_1").get_data(as_text=True)
    assert '<mark class="ev ev-boundary_spanner" title="evidence: boundary_spanner">Peer workers bridged &lt;b&gt;services&lt;/b&gt;.</mark>' in html
    csp = client.get("/doc/evil_1").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp


def test_highlight_segments_cover_the_text_exactly():
    text = "Alpha beta. Gamma delta. Epsilon."
    segs = segments(text, [(0, 11, "role"), (6, 24, "phases")])
    assert "".join(s.text for s in segs) == text
    assert [(s.text, s.tasks) for s in segs] == [
        ("Alpha ", ("role",)), ("beta.", ("role", "phases")), (" Gamma delta.", ("phases",)), (" Epsilon.", ())]


def test_evidence_with_stale_offsets_is_found_by_search_or_listed():
    pred = {"evidence": {"role": [{"text": "Gamma delta.", "section": "abstract", "start": 0, "end": 5}],
                         "phases": [{"text": "Not in the text.", "section": "abstract", "start": None, "end": None}],
                         "boundary_spanner": []}}
    view = build_view(pred, [{"name": "abstract", "heading": "", "text": "Alpha beta. Gamma delta."}])
    assert [s.text for s in view.sections[0].segments if s.tasks] == ["Gamma delta."]
    assert [u["text"] for u in view.unplaced] == ["Not in the text."]


def test_record_source_from_the_corpus_is_reread_and_highlighted(corpus_dir, tmp_path):
    """A prediction whose source is a line of the real corpus file: the page re-reads that record's
    abstract and highlights the evidence sentence inside it (text read at run time, never stored)."""
    from classifier.extract.sentences import split_sentences
    from classifier.io import read_records

    path = corpus_dir / "charted_studies.jsonl"
    record = next(r for r in read_records(path) if not r.error and len(r.abstract) > 200)
    sentence = split_sentences(record.abstract)[1].text
    pred = {"id": record.id, "title": record.title, "source": f"{path}#{record.where}", "role": "peer_support",
            "evidence": {"role": [{"text": sentence, "section": "abstract", "score": 1.0}]}}
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps(pred) + "\n")
    client = PageClient(create_app(ServeConfig(predictions=preds, annotations=tmp_path / "labels.csv",
                                               sources=[corpus_dir])).test_client())
    html = client.get(f"/doc/{record.id}").get_data(as_text=True)
    assert f"From charted_studies.jsonl {record.where}" in html
    assert html.count('class="ev ev-role" title="evidence: role"') == 1
    from markupsafe import escape
    assert str(escape(record.abstract[:40])) in html


def test_unreadable_source_shows_evidence_alone_with_the_reason(sample, tmp_path):
    pred = {"id": "gone", "title": "Gone", "source": str(tmp_path / "missing.pdf"),
            "evidence": {"role": [{"text": "A lone sentence.", "section": "abstract"}]}}
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps(pred) + "\n")
    client = PageClient(create_app(ServeConfig(predictions=preds, annotations=tmp_path / "labels.csv")).test_client())
    html = client.get("/doc/gone").get_data(as_text=True)
    assert "is not a readable file under the folders this page serves" in html
    assert "A lone sentence." in html


def test_foreign_host_and_cross_site_posts_are_refused(sample):
    client = make_client(sample)
    assert client.get("/queue", headers={"Host": "attacker.example"}).status_code == 421
    response = client.post("/doc/study_001", data={"role": "peer_support"},
                           headers={"Origin": "http://attacker.example"})
    assert response.status_code == 403
    assert not sample["annotations"].with_name("labels.log.csv").exists()
    assert client.get("/queue", headers={"Host": "localhost:8000"}).status_code == 200


def test_state_changing_requests_need_the_session_token(sample):
    client = make_client(sample)
    log = sample["annotations"].with_name("labels.log.csv")
    bare = client.raw
    assert bare.post("/doc/study_001", data={"role": "peer_support"}).status_code == 403  # no Origin, no token
    assert bare.post("/doc/study_001", data={"role": "peer_support"},
                     headers={"Origin": "null"}).status_code == 403  # a sandboxed frame
    assert bare.post("/doc/study_001", data={"role": "peer_support", "csrf_token": "guess"}).status_code == 403
    assert bare.post("/model/retrain").status_code == 403
    token = client.token()
    assert bare.post("/doc/study_001", data={"role": "peer_support", "csrf_token": token},
                     headers={"Origin": "null"}).status_code == 403
    assert not log.exists()
    assert client.post("/doc/study_001", data={"role": "peer_support", "reviewer": "ann"}).status_code == 303
    assert len(read_csv(log)) == 1
    other = make_client(sample)  # another browser session: its own token, not the first one's
    assert other.raw.post("/doc/study_001", data={"role": "co_creation", "csrf_token": token}).status_code == 403


def test_binding_every_interface_keeps_the_host_guard(sample):
    client = make_client(sample, host="0.0.0.0")
    assert client.get("/queue", headers={"Host": "attacker.example"}).status_code == 421
    assert client.get("/queue", headers={"Host": "rebind.attacker.example:8000"}).status_code == 421
    assert client.get("/queue", headers={"Host": "localhost:8000"}).status_code == 200
    import socket

    assert client.get("/queue", headers={"Host": f"{socket.gethostname()}:8000"}).status_code == 200


def test_unknown_document_is_a_friendly_404(sample):
    response = make_client(sample).get("/doc/no_such_study")
    assert response.status_code == 404
    assert "There is no such page or document here." in response.get_data(as_text=True)


def test_model_page_counts_decisions_newer_than_the_model_and_shows_the_report(sample, tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "card.json").write_text(json.dumps({"trained_at": "2000-01-01T00:00:00+00:00"}))
    client = make_client(sample, model=model)
    client.post("/doc/study_001", data={"role": "co_creation", "boundary_spanner": "true", "reviewer": "ann"})
    client.post("/doc/study_002", data={"role": "co_creation", "reviewer": "ann"})
    html = client.get("/model").get_data(as_text=True)
    assert '<strong>3</strong> decision(s) on <strong>2</strong> studies' in html
    assert '<img src="/report/role_confidence.png"' in html
    assert "macro F1" in html
    assert client.get("/report/role_confidence.png").data[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/report/metrics.json").status_code == 404  # only figures are served
    (model / "card.json").write_text(json.dumps({"trained_at": "2999-01-01T00:00:00+00:00"}))
    assert "<strong>0</strong> decision(s)" in client.get("/model").get_data(as_text=True)


def test_model_page_without_report_or_texts_says_what_to_do(sample):
    sample = dict(sample, report=None)
    html = make_client(sample).get("/model").get_data(as_text=True)
    assert "No evaluation report was given" in html
    assert "Retraining needs the studies&#39; texts" in html
    assert 'id="retrain" disabled' in html


def test_report_html_embedded_figures_are_shown(sample, tmp_path):
    import base64

    report = tmp_path / "rep"
    report.mkdir()
    png = sample["report"].joinpath("role_confidence.png").read_bytes()
    (report / "report.html").write_text(f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}">')
    client = make_client(dict(sample, report=report))
    html = client.get("/model").get_data(as_text=True)
    assert 'src="data:image/png;base64,iVBOR' in html and "Figure 1 of report.html" in html
    assert 'href="/report/report.html"' in html
    full = client.get("/report/report.html")
    assert full.status_code == 200 and full.headers["Content-Security-Policy"].startswith("sandbox;")


def test_bad_predictions_lines_are_skipped_and_reported(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "a", "role": "peer_support"}\nnot json\n[1]\n{"title": "no id"}\n{"id": "a"}\n')
    data = load_predictions(path)
    assert [p["id"] for p in data.items] == ["a"]
    assert data.problems == ["p.jsonl line 2: not valid JSON (Expecting value); skipped",
                             "p.jsonl line 3: expected a JSON object; skipped",
                             "p.jsonl line 4: no id; skipped",
                             "p.jsonl line 5: id 'a' appears again; first one kept"]
    with pytest.raises(PredictionsError, match="empty"):
        (tmp_path / "e.jsonl").write_text("\n")
        load_predictions(tmp_path / "e.jsonl")


@pytest.mark.parametrize("args, message", [
    (["--predictions", "{tmp}/none.jsonl", "--annotations", "{tmp}/labels.csv"], "none.jsonl: no such file"),
    (["--predictions", "{pred}", "--annotations", "{tmp}/nodir/labels.csv"], "does not exist"),
    (["--predictions", "{pred}", "--annotations", "{bad}"], "no 'id' column"),
])
def test_serve_refuses_bad_files_with_one_line(sample, tmp_path, capsys, args, message):
    bad = tmp_path / "bad.csv"
    bad.write_text("study,role\nx,peer_support\n")
    argv = [a.format(tmp=tmp_path, pred=sample["predictions"], bad=bad) for a in args]
    assert serve_main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def _records_for(sample, path: Path, ids=None) -> Path:
    """A records file (id, title, abstract) built from the sample's own generated section text."""
    with open(path, "w", encoding="utf-8") as fh:
        for line in sample["predictions"].read_text().splitlines():
            pred = json.loads(line)
            if ids is not None and pred["id"] not in ids:
                continue
            text = " ".join(s["text"] for s in pred.get("sections") or []) or pred["title"]
            fh.write(json.dumps({"id": pred["id"], "title": pred["title"], "abstract": text}) + "\n")
    return path


def test_retrain_without_texts_for_the_labelled_studies_fails_with_one_line(sample, tmp_path):
    records = _records_for(sample, tmp_path / "other.jsonl", ids={"study_008"})
    client = make_client(sample, texts=[records], model_out=tmp_path / "new_model")
    client.post("/doc/study_001", data={"role": "co_creation", "reviewer": "ann"})
    assert client.post("/model/retrain").status_code == 303
    status = client.application.extensions["retrainer"].wait(120)
    assert status.state == "failed"
    assert status.message.startswith("Retraining failed: ") and "no labelled study has a text" in status.message
    html = client.get("/model").get_data(as_text=True)
    assert 'data-state="failed"' in html and "Traceback" not in html
    assert client.get("/model/status").get_json()["state"] == "failed"


def test_pdf_source_is_reextracted_and_its_evidence_highlighted(pdf_dir, tmp_path):
    """A prediction for a real PDF without section text: the page extracts the PDF and highlights the
    evidence sentence in its section (the sentence is taken from the PDF at run time)."""
    from markupsafe import escape

    from classifier.extract import load_document

    pdf = pdf_dir / "lancet_respir_stopadvisor_rct.pdf"
    doc = load_document(pdf)
    methods = next(s for s in doc.sections if s.name == "methods" and len(s.sentences) > 3)
    sentence = methods.sentences[2]
    pred = {"id": pdf.stem, "source": str(pdf), "role": "peer_support", "p_role_peer_support": 0.5,
            "evidence": {"phases": [{"text": sentence.text, "section": "methods", "start": sentence.start,
                                     "end": sentence.end, "score": 0.7}]}}
    (tmp_path / "p.jsonl").write_text(json.dumps(pred) + "\n")
    client = PageClient(create_app(ServeConfig(predictions=tmp_path / "p.jsonl", annotations=tmp_path / "l.csv",
                                               sources=[pdf_dir])).test_client())
    html = client.get(f"/doc/{pdf.stem}").get_data(as_text=True)
    assert f"From {pdf.name} (re-extracted)" in html
    marked = f'<mark class="ev ev-phases" title="evidence: phases">{escape(sentence.text)}</mark>'
    assert html.count(marked) == 1                       # inside the methods text, once
    assert html.count(str(escape(sentence.text))) == 2   # and in the evidence list


def test_documents_that_failed_are_listed_last_and_say_why(tmp_path):
    rows = [{"id": "broken", "status": "error", "error": "broken.pdf: not a PDF (looks like HTML)",
             "role": "", "p_role_peer_support": "", "evidence": {}},
            {"id": "fine", "status": "ok", "role": "co_creation", "role_confidence": 0.4,
             "p_role_pre_determined": 0.3, "p_role_peer_support": 0.3, "p_role_co_creation": 0.4}]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    client = PageClient(create_app(ServeConfig(predictions=tmp_path / "p.jsonl", annotations=tmp_path / "l.csv")).test_client())
    html = client.get("/queue").get_data(as_text=True)
    assert html.index('data-id="fine"') < html.index('data-id="broken"')
    assert "broken.pdf: not a PDF (looks like HTML)" in html
    page = client.get("/doc/broken").get_data(as_text=True)
    assert "Could not be labelled: broken.pdf: not a PDF (looks like HTML)" in page


def test_a_hand_typed_label_the_schema_does_not_know_does_not_break_the_page(sample):
    sample["annotations"].write_text("id,role,phases,boundary_spanner\nstudy_001,peer supporter,,\n")
    client = make_client(sample)
    html = client.get("/doc/study_001").get_data(as_text=True)
    assert "labels.csv row 2 (study_001): &#39;peer supporter&#39; is not a role value" in html
    response = client.post("/doc/study_001", data={"role": "peer_support", "reviewer": "ann"})
    assert response.status_code == 303
    assert "peer supporter" in sample["annotations"].read_text()  # kept: a conflict, not an overwrite
    assert "conflicts=1" in response.headers["Location"]


def test_ids_with_slashes_and_spaces_get_their_own_page(tmp_path):
    rows = [{"id": "10.1000/abc 1", "title": "Slash", "role": "peer_support"}]
    (tmp_path / "p.jsonl").write_text(json.dumps(rows[0]) + "\n")
    client = PageClient(create_app(ServeConfig(predictions=tmp_path / "p.jsonl", annotations=tmp_path / "l.csv")).test_client())
    html = client.get("/queue").get_data(as_text=True)
    assert 'href="/doc/10.1000/abc%201"' in html
    assert client.get("/doc/10.1000/abc%201").status_code == 200
    assert client.post("/doc/10.1000/abc%201", data={"role": "co_creation"}).status_code == 303
    assert LabelStore(tmp_path / "l.csv").labels()["10.1000/abc 1"]["role"] == "co_creation"


def test_a_long_queue_is_paged_and_keeps_its_order(tmp_path):
    sample = write_sample(tmp_path / "big", n=450, report=False)
    client = make_client(sample)
    first = client.get("/queue").get_data(as_text=True)
    third = client.get("/queue?page=3").get_data(as_text=True)
    assert first.count('class="doc-link"') == 200 and third.count('class="doc-link"') == 50
    assert "<td>1</td>" in first and "<td>401</td>" in third and "<td>400</td>" not in third
    assert 'href="/queue?page=2"' in first


def test_disagreement_order_uses_rules_predictions_from_the_texts(sample, tmp_path):
    from classifier.model import load_model
    from classifier.review.strategies import rank
    from classifier.review.texts import load_documents

    records = _records_for(sample, tmp_path / "texts.jsonl")
    client = make_client(sample, texts=[records])
    first = client.get("/queue?strategy=disagreement").get_data(as_text=True)
    assert "Shown in uncertainty order until then." in first
    assert client.application.extensions["rules"].wait(120) == "ready"
    html = client.get("/queue?strategy=disagreement").get_data(as_text=True)
    assert "Shown in uncertainty order" not in html

    preds = load_predictions(sample["predictions"]).items
    docs = load_documents([records])
    rules = load_model().rules_predict([docs[p["id"]] for p in preds])
    expected = [preds[i]["id"] for i, _ in rank("disagreement", preds, rules=rules)]
    shown = sorted(expected, key=lambda sid: html.index(f'data-id="{sid}"'))
    assert shown == expected


def test_disagreement_without_texts_is_refused_at_start(sample, capsys):
    code = serve_main(["--predictions", str(sample["predictions"]), "--annotations", str(sample["annotations"]),
                       "--strategy", "disagreement"])
    assert code == 2
    assert "pass --texts PATH" in capsys.readouterr().err


def test_retrain_writes_a_new_model_and_clears_the_waiting_count(sample, tmp_path):
    records = _records_for(sample, tmp_path / "texts.jsonl")
    old_model = tmp_path / "old_model"
    old_model.mkdir()
    (old_model / "model_card.json").write_text(json.dumps({"date": "2001-01-01T00:00:00Z"}))
    out = tmp_path / "new_model"
    client = make_client(sample, texts=[records], model=old_model, model_out=out)
    for line in sample["predictions"].read_text().splitlines():
        pred = json.loads(line)
        client.post(f"/doc/{pred['id']}", data={"role": pred["role"], "phases": pred["phases"].split(";"),
                                                 "boundary_spanner": pred["boundary_spanner"], "reviewer": "ann"})
    assert "<strong>24</strong> decision(s) on <strong>8</strong> studies" in client.get("/model").get_data(as_text=True)
    client.post("/model/retrain")
    status = client.application.extensions["retrainer"].wait(240)
    assert status.state == "done", status.message
    card = json.loads((out / "model_card.json").read_text())
    assert card["n_documents"] == 8
    html = client.get("/model").get_data(as_text=True)
    assert f"Current model: {out}" in html and "<strong>0</strong> decision(s)" in html


def test_a_rewritten_predictions_file_is_picked_up(sample):
    client = make_client(sample)
    assert 'data-id="added_later"' not in client.get("/queue").get_data(as_text=True)
    with open(sample["predictions"], "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "added_later", "title": "New", "role": "co_creation"}) + "\n")
    assert 'data-id="added_later"' in client.get("/queue").get_data(as_text=True)
    sample["predictions"].write_text("")  # a writer half-way through: keep showing the last good file
    assert 'data-id="added_later"' in client.get("/queue").get_data(as_text=True)


def test_a_document_that_never_mentions_peers_is_flagged(tmp_path):
    def row(study, terms):
        out = {"id": study, "status": "ok", "role": "peer_support", "role_confidence": 0.6,
               "p_role_pre_determined": 0.2, "p_role_peer_support": 0.6, "p_role_co_creation": 0.2}
        if terms is not None:
            out["peer_terms"] = terms
        return out

    rows = [row("frogs", 0), row("peers", 7), row("older_file", None)]  # older files have no count
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    client = PageClient(create_app(ServeConfig(predictions=tmp_path / "p.jsonl", annotations=tmp_path / "l.csv")).test_client())
    html = client.get("/queue").get_data(as_text=True)
    assert html.count("probably off topic") == 1
    frogs = html[html.index('data-id="frogs"'):]
    assert frogs.index("probably off topic") < frogs.index("</tr>")
    assert 'id="off-topic"' in client.get("/doc/frogs").get_data(as_text=True)
    assert 'id="off-topic"' not in client.get("/doc/peers").get_data(as_text=True)
    assert 'id="off-topic"' not in client.get("/doc/older_file").get_data(as_text=True)


def test_only_files_under_the_named_folders_are_shown(tmp_path, monkeypatch):
    outside = tmp_path / "private"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("Peer workers.\n\nThe SECRET-MARKER is here.\n", encoding="utf-8")
    data = tmp_path / "review"
    data.mkdir()
    inside = data / "own.txt"
    inside.write_text("Peer workers.\n\nThe INSIDE-MARKER is here.\n", encoding="utf-8")
    preds = data / "p.jsonl"
    base = {"status": "ok", "role": "peer_support", "role_confidence": 0.9, "evidence": {}}
    preds.write_text("".join(json.dumps(dict(base, id=i, source=s)) + "\n"
                             for i, s in (("a", str(secret)), ("b", "own.txt"), ("c", "../private/secret.txt"))))
    monkeypatch.chdir(data)
    client = PageClient(create_app(ServeConfig(predictions=preds, annotations=data / "l.csv")).test_client())
    for study in ("a", "c"):
        html = client.get(f"/doc/{study}").get_data(as_text=True)
        assert "SECRET-MARKER" not in html and "not a readable file under the folders this page serves" in html
    assert "INSIDE-MARKER" in client.get("/doc/b").get_data(as_text=True)
    named = PageClient(create_app(ServeConfig(predictions=preds, annotations=data / "l.csv",
                                              sources=[outside])).test_client())
    assert "SECRET-MARKER" in named.get("/doc/a").get_data(as_text=True)


@pytest.mark.parametrize("study", ["../escape", "a/../b", "./here", "..", ".", "x/./y"])
def test_ids_with_dot_segments_get_links_a_browser_keeps(tmp_path, study):
    from urllib.parse import urlsplit

    base = {"status": "ok", "role": "peer_support", "role_confidence": 0.9, "evidence": {}, "title": "T"}
    preds = tmp_path / "p.jsonl"
    preds.write_text(json.dumps(dict(base, id=study)) + "\n" + json.dumps(dict(base, id="other")) + "\n")
    client = PageClient(create_app(ServeConfig(predictions=preds, annotations=tmp_path / "l.csv")).test_client())
    html = client.get("/queue").get_data(as_text=True)
    import re

    (href,) = [h for h in re.findall(r'class="doc-link" href="([^"]+)"', html) if "other" not in h]
    path = urlsplit(href).path
    assert not any(seg in (".", "..") or seg.lower() in ("%2e", "%2e%2e", ".%2e", "%2e.")
                   for seg in path.split("/")), href  # a browser would resolve these away
    page = client.get(path)
    assert page.status_code == 200 and f'action="{path}"' in page.get_data(as_text=True).replace("&amp;", "&")
    assert client.post(path, data={"role": "co_creation", "reviewer": "ann"}).status_code == 303
    assert LabelStore(tmp_path / "l.csv").labels()[study]["role"] == "co_creation"


def test_keyboard_keys_come_from_the_schema_and_sit_on_the_form_inputs(sample):
    from classifier.web.app import shortcuts, value_keys

    keys = value_keys()
    assert [keys[("role", v)] for v in ("pre_determined", "peer_support", "co_creation")] == ["1", "2", "3"]
    assert [keys[("phases", v)] for v in ("commissioning", "design", "delivery", "assessment")] == ["4", "5", "6", "7"]
    assert (keys[("boundary_spanner", "true")], keys[("boundary_spanner", "false")]) == ("t", "f")
    assert ("4 5 6 7", "phases: toggle commissioning / design / delivery / assessment") in shortcuts()
    html = make_client(sample).get("/doc/study_001").get_data(as_text=True)
    assert 'value="co_creation" ' in html and 'data-key="3"' in html and 'data-key="t"' in html
    assert 'data-tasks="role phases boundary_spanner"' in html
