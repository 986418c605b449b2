"""``python -m classifier extract FILE [--json]``: print a document's canonical sections."""
from __future__ import annotations

import argparse
import json
import sys

from ..io.cells import terminal_text


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m classifier extract",
        description="Print the canonical sections (title, abstract, introduction, methods, results, discussion, "
                    "conclusion, references, other) of a PDF or .txt file.")
    p.add_argument("file", help="a .pdf or .txt file")
    p.add_argument("--json", action="store_true", help="print JSON: source, pages, sections, warnings")
    p.add_argument("--engine", choices=("pdfium", "pdfplumber"), default="pdfium",
                   help="PDF engine (default pdfium: fast; pdfplumber: slower, for comparison)")
    p.add_argument("--max-pages", type=int, default=500, metavar="N",
                   help="refuse PDFs with more than N pages (default 500)")
    p.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                   help="give up on a file after this many seconds (default 120)")
    p.add_argument("--ocr", choices=("auto", "always", "never"), default="auto",
                   help="read scanned pages by OCR (Tesseract): auto = pages without a usable text layer "
                        "(default), always = every page, never = none")
    p.add_argument("--sentences", action="store_true", help="also list each section's sentences with offsets")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from . import ExtractionError, load_document

    try:
        doc = load_document(args.file, engine=args.engine, max_pages=args.max_pages, timeout=args.timeout,
                            sentences=False, ocr=args.ocr)
        if args.sentences:
            from .sentences import add_sentences

            add_sentences(doc, all_sections=True)  # listed for every section, references included
    except ExtractionError as exc:
        print(f"error: {terminal_text(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    try:
        _print(doc, args)
    except BrokenPipeError:  # e.g. piped into `head`
        return 0
    return 0


def _print(doc, args) -> None:
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    if args.json:
        data = doc.to_dict()
        if args.sentences:
            for out, section in zip(data["sections"], doc.sections):
                out["sentences"] = [{"text": s.text, "start": s.start, "end": s.end} for s in section.sentences]
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:  # text from the document: no escape sequence or control character reaches the terminal
        for w in doc.warnings:
            print(f"warning: {terminal_text(w)}", file=sys.stderr)
        for section in doc.sections:
            label = section.name + (f" ({section.heading})" if section.heading else "")
            print(f"=== {terminal_text(label)} ===")
            print(terminal_text(section.text))
            if args.sentences:
                for s in section.sentences:
                    print(f"  [{s.start}:{s.end}] {terminal_text(s.text)}")
            print()
