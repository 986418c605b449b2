#!/usr/bin/env python3
"""Screenshots of the review page, so a person can look at it without starting anything.

    python scripts/screenshots.py OUT_DIR [--predictions PRED.jsonl --annotations LABELS.csv] [--report DIR]

Without --predictions it generates made-up review data (tests/helpers/sample.py) in a temporary folder.
It starts ``python -m classifier serve`` on a free port, opens each page in headless Chromium
(/usr/bin/chromium), and writes queue.png, document.png, document-keys.png (after pressing ``a``, ``3``
and ``t``, not saved) and model.png to OUT_DIR. Nothing is saved to the labels file.
Exit status: 0 when every screenshot was written, 2 when it could not run.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # test helpers (helpers/)

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files (created)")
    parser.add_argument("--predictions", type=Path, help="a predictions JSONL (default: generated sample)")
    parser.add_argument("--annotations", type=Path, help="its labels file (read only here)")
    parser.add_argument("--report", type=Path, help="an evaluation output folder for the model page")
    parser.add_argument("--width", type=int, default=1280)
    args = parser.parse_args(argv)

    from helpers.launch import ServerError, start_server, stop_server
    from helpers.sample import write_sample

    if not Path(CHROMIUM).exists():
        print(f"error: {CHROMIUM} not found (install Debian's chromium package)", file=sys.stderr)
        return 2
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("error: playwright (python) is not installed: pip install -e '.[test]'", file=sys.stderr)
        return 2
    if args.predictions and not args.annotations:
        print("error: --predictions needs --annotations (the labels file to show)", file=sys.stderr)
        return 2

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        if args.predictions:
            predictions, annotations, report = args.predictions, args.annotations, args.report
        else:
            sample = write_sample(Path(tmp) / "sample", n=12)
            predictions, annotations = sample["predictions"], sample["annotations"]
            report = args.report or sample["report"]
        extra = ["--report", str(report)] if report else []
        try:
            process, url = start_server(predictions, annotations, *extra)
        except ServerError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        written = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                page = browser.new_page(viewport={"width": args.width, "height": 900})
                page.goto(url + "queue")
                page.screenshot(path=str(args.out / "queue.png"), full_page=True)
                written.append("queue.png")
                first = page.locator("a.doc-link").first
                if first.count():
                    first.click()
                    page.wait_for_selector("#label-form")
                    page.screenshot(path=str(args.out / "document.png"), full_page=True)
                    written.append("document.png")
                    for key in ("a", "3", "t"):
                        page.keyboard.press(key)
                    page.screenshot(path=str(args.out / "document-keys.png"), full_page=True)
                    written.append("document-keys.png")
                page.goto(url + "model")
                page.wait_for_load_state("load")
                page.screenshot(path=str(args.out / "model.png"), full_page=True)
                written.append("model.png")
                browser.close()
        finally:
            stop_server(process)
    for name in written:
        print(args.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
