"""The review page in real headless Chromium (Debian's /usr/bin/chromium driven by Playwright):
queue -> document -> correct a label with the keyboard -> saved, logged, shown after reload;
document text holding <script> shows as text; two tabs saving different studies both land."""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from classifier.review.store import LabelStore
from helpers.launch import start_server, stop_server
from helpers.sample import write_sample

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                       reason=f"{CHROMIUM} is not installed (CI installs Debian's chromium package)"),
]
ROLE_KEYS = {"pre_determined": "1", "peer_support": "2", "co_creation": "3"}


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def serve(predictions: Path, labels: Path, *args: str):
    return start_server(predictions, labels, *args)


@pytest.fixture()
def sample_server(tmp_path):
    sample = write_sample(tmp_path / "data", n=8)
    process, url = serve(sample["predictions"], sample["annotations"], "--report", str(sample["report"]))
    yield sample, url
    stop_server(process)


def log_rows(labels: Path) -> list[dict]:
    path = labels.with_name(labels.stem + ".log.csv")
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_correct_a_label_with_the_keyboard_then_reload(sample_server, page):
    sample, url = sample_server
    page.goto(url + "queue")
    assert "0 reviewed of 8 queued" in page.inner_text("#progress-text")
    first_id = page.get_attribute("table.queue tbody tr >> nth=0", "data-id")
    page.click("a.doc-link >> nth=0")
    page.wait_for_url(f"**/doc/{first_id}")

    form = page.locator("#label-form")
    predicted_role = form.get_attribute("data-predicted-role")
    predicted_bs = form.get_attribute("data-predicted-boundary-spanner")
    corrected_role = next(v for v in ROLE_KEYS if v != predicted_role)
    corrected_bs = "false" if predicted_bs == "true" else "true"

    page.keyboard.press("a")                         # accept every prediction ...
    assert page.is_checked(f'input[name="role"][value="{predicted_role}"]')
    page.keyboard.press(ROLE_KEYS[corrected_role])   # ... then correct the role
    page.keyboard.press(corrected_bs[0])             # t / f
    page.keyboard.press("s")
    page.wait_for_selector("#saved-message")

    labels = LabelStore(sample["annotations"]).labels()
    assert labels[first_id]["role"] == corrected_role
    assert labels[first_id]["boundary_spanner"] == corrected_bs
    rows = [r for r in log_rows(sample["annotations"]) if r["study"] == first_id]
    assert {(r["task"], r["new"], r["outcome"], r["source"]) for r in rows} >= {
        ("role", corrected_role, "applied", "web"), ("boundary_spanner", corrected_bs, "applied", "web")}

    page.reload()
    assert page.is_checked(f'input[name="role"][value="{corrected_role}"]')
    assert page.is_checked(f'input[name="boundary_spanner"][value="{corrected_bs}"]')
    assert "In the labels file: peer support" in page.inner_text("#task-role") or \
        f"In the labels file: {corrected_role.replace('_', ' ')}" in page.inner_text("#task-role")

    page.keyboard.press("n")                          # next document in the queue
    page.wait_for_url(lambda u: "/doc/" in u and not u.split("?")[0].endswith(first_id))
    page.keyboard.press("q")
    page.wait_for_url("**/queue**")
    assert "1 reviewed of 8 queued" in page.inner_text("#progress-text")


def test_script_in_document_text_is_shown_as_text(tmp_path, page):
    """Title, evidence and section text (one from the JSONL, one re-extracted from a .txt file)
    hold markup; none of it runs, all of it is visible as text."""
    payload = '<script>window.__pwned = (window.__pwned || 0) + 1; document.title = "pwned"</script>'
    img = '<img src=x onerror="window.__pwned = 99">'
    sentence = f"Peer workers linked wards {img} to housing services."
    section = f"Background {payload} here. {sentence}"
    start = section.index(sentence)
    txt = tmp_path / "evil_txt.txt"
    txt.write_text(f"Evil text {payload}\n\nAbstract\nA first sentence {payload}. {sentence}\n", "utf-8")
    preds = [
        {"id": "evil_jsonl", "title": f"Study {payload}", "source": "nowhere", "role": "peer_support",
         "p_role_peer_support": 0.9, "boundary_spanner": "true", "p_boundary_spanner": 0.8,
         "evidence": {"boundary_spanner": [{"text": sentence, "section": "abstract", "start": start,
                                            "end": start + len(sentence), "score": 1.0}]},
         "sections": [{"name": "abstract", "heading": f"Abstract {img}", "text": section}]},
        {"id": "evil_txt", "title": f"Text {img}", "source": str(txt), "role": "co_creation",
         "p_role_co_creation": 0.6, "evidence": {"role": [{"text": sentence, "section": "abstract"}]}},
    ]
    pred_path = tmp_path / "p.jsonl"
    pred_path.write_text("".join(json.dumps(p) + "\n" for p in preds), "utf-8")
    process, url = serve(pred_path, tmp_path / "labels.csv")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        for path in ("queue", "doc/evil_jsonl", "doc/evil_txt"):
            page.goto(url + path)
            page.wait_for_load_state("load")
            assert page.evaluate("window.__pwned") is None
            assert page.title() != "pwned"
            assert page.locator("script").count() == 1          # only the page's own app.js
            assert page.locator("main img").count() == 0
        page.goto(url + "doc/evil_jsonl")
        text = page.inner_text("main")
        assert payload in text and img in text
        assert page.locator("mark.ev-boundary_spanner", has_text=img).count() >= 1
        page.goto(url + "doc/evil_txt")
        assert "From evil_txt.txt (re-extracted)" in page.inner_text("main")
        assert payload in page.inner_text(".evidence")
        assert page.locator(".section-text mark.ev-role").count() == 1
    finally:
        stop_server(process)
    assert dialogs == []


def test_two_tabs_saving_different_studies_both_land(sample_server, browser):
    sample, url = sample_server
    context = browser.new_context()
    try:
        tab1, tab2 = context.new_page(), context.new_page()
        tab1.goto(url + "doc/study_001")
        tab2.goto(url + "doc/study_002")
        tab1.keyboard.press("a")
        tab1.keyboard.press("1")
        tab2.keyboard.press("a")
        tab2.keyboard.press("3")
        tab1.keyboard.press("s")
        tab2.keyboard.press("s")
        tab1.wait_for_selector("#saved-message")
        tab2.wait_for_selector("#saved-message")
    finally:
        context.close()
    labels = LabelStore(sample["annotations"]).labels()
    assert labels["study_001"]["role"] == "pre_determined"
    assert labels["study_002"]["role"] == "co_creation"
    studies = {r["study"] for r in log_rows(sample["annotations"])}
    assert studies == {"study_001", "study_002"}


def test_model_page_shows_pending_decisions_and_report(sample_server, page):
    sample, url = sample_server
    page.goto(url + "doc/study_004")
    page.keyboard.press("a")
    page.keyboard.press("s")
    page.wait_for_selector("#saved-message")
    page.goto(url + "model")
    assert page.locator("#pending strong").first.inner_text() != "0"
    assert page.locator(".figures img").count() == 1
    assert page.evaluate("document.querySelector('.figures img').naturalWidth") > 0
    assert page.is_disabled("#retrain")  # no --texts: the reason is on the page
    assert "Retraining needs the studies' texts" in page.inner_text("main")


def test_screenshot_script_writes_a_png_per_page(tmp_path):
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[1] / "scripts" / "screenshots.py"
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "shots")], capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    for name in ("queue.png", "document.png", "document-keys.png", "model.png"):
        data = (tmp_path / "shots" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_retrain_button_runs_in_the_background_and_reports(tmp_path, page):
    """The button starts retraining in a separate process; the page polls and shows the outcome.
    Here the texts hold none of the labelled studies, so the outcome is a one-line failure."""
    sample = write_sample(tmp_path / "data", n=6, report=False)
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"id": "unrelated", "title": "Unrelated", "abstract": "Nothing to learn."}) + "\n")
    process, url = serve(sample["predictions"], sample["annotations"], "--texts", str(other),
                         "--model-out", str(tmp_path / "new_model"))
    try:
        page.goto(url + "doc/study_001")
        page.keyboard.press("a")
        page.keyboard.press("s")
        page.wait_for_selector("#saved-message")
        page.goto(url + "model")
        assert page.is_enabled("#retrain")
        page.click("#retrain")
        page.wait_for_selector('#retrain-status[data-state="failed"]', timeout=120000)
        text = page.inner_text("#retrain-status")
        assert "Retraining failed:" in text and "no labelled study has a text" in text
        assert "Traceback" not in page.inner_text("main")
    finally:
        stop_server(process)


def test_unsaved_changes_are_not_lost_silently(sample_server, page):
    sample, url = sample_server
    page.goto(url + "doc/study_005")
    page.keyboard.press("a")
    page.keyboard.press("n")                    # first press only warns
    assert "/doc/study_005" in page.url
    assert "press s to save" in page.inner_text("#dirty")
    dialogs = []
    page.once("dialog", lambda d: (dialogs.append(d.type), d.accept()))
    page.click("header.top nav a >> text=Model")  # leaving by a link asks the browser's question
    page.wait_for_url("**/model")
    assert dialogs == ["beforeunload"]
    assert not sample["annotations"].with_name("labels.log.csv").exists()  # nothing saved behind the back
    page.goto(url + "doc/study_005")
    page.keyboard.press("a")
    page.keyboard.press("n")
    page.keyboard.press("n")                    # second press: leave without saving, no question
    page.wait_for_url(lambda u: "/doc/" in u and "study_005" not in u)
    assert dialogs == ["beforeunload"]
