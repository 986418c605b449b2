"""Extraction quality and speed on ../shared/pdfs (23 real articles; 15 with publisher XML).

    python benchmarks/bench_extract.py                 # pdfium (default engine) + pdfplumber
    python benchmarks/bench_extract.py --engines pdfium
    python benchmarks/bench_extract.py --file bmc_trials_dolce_protocol.pdf -v

Prints per file: core-heading recall in order (manifest ``section_headings``), header/footer lines
leaked into sections (found independently with pdfium's ``get_text_bounded`` on the page edges), body
text recall/precision against the XML body paragraphs (word multisets); then pages/s of each engine
with sections and sentences, and of a bare pypdfium2 ``get_text_range`` pass in the same run.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # test helpers (helpers/)

from classifier.extract import ExtractionError, load_document  # noqa: E402
from helpers import quality  # noqa: E402

from bare_pdfium import bare_pass  # noqa: E402  (beside this script)

SHARED = Path(os.environ.get("PEER_CHARTING_SHARED", REPO.parent / "shared"))


def run_engine(engine, rows, pdf_dir, verbose=False):
    total_pages = 0
    total_time = total_cpu = 0.0
    found_sum = exp_sum = leak_sum = all_sum = all_exp = 0
    xml_scores = []
    print(f"\n== engine {engine} ==")
    print(f"{'file':45} {'pages':>5} {'core':>7} {'all':>7} {'leaks':>5} {'recall':>7} {'prec':>7}  missing")
    for row in rows:
        path = pdf_dir / row["file"]
        t = time.perf_counter()
        c = time.process_time()
        try:
            doc = load_document(path, engine=engine)
        except ExtractionError as exc:
            print(f"{row['file']:45} ERROR {exc}")
            continue
        total_time += time.perf_counter() - t
        total_cpu += time.process_time() - c
        total_pages += doc.pages
        expected = quality.core_headings(row)
        found, n_exp, missing = quality.heading_recall(doc, expected)
        found_sum += found
        exp_sum += n_exp
        all_found, all_n, all_missing = quality.heading_recall(doc, quality.all_headings(row))
        all_sum += all_found
        all_exp += all_n
        leaked = quality.leaks(doc, quality.furniture_lines(path))
        leak_sum += len(leaked)
        xml = path.with_suffix(".xml")
        r = p = None
        if xml.exists():
            r, p = quality.recall_precision(quality.body_text(doc), quality.xml_body_text(xml))
            xml_scores.append((row["file"], r, p))
        rs = f"{r:7.3f} {p:7.3f}" if r is not None else f"{'-':>7} {'-':>7}"
        print(f"{row['file']:45} {doc.pages:5d} {found:3d}/{n_exp:<3d} {all_found:3d}/{all_n:<3d} {len(leaked):5d} {rs}  "
              f"{'; '.join(all_missing)}")
        if verbose:
            for w in doc.warnings:
                print("    warning:", w)
            for s in doc.sections:
                print(f"    [{s.name}] {s.heading!r} {len(s.text)} chars")
            for name, f in leaked:
                print(f"    LEAK in {name}: {f!r}")
    print(f"core headings found in order: {found_sum}/{exp_sum} = {found_sum / max(1, exp_sum):.3f}")
    print(f"all manifest headings (back matter included) found in order: {all_sum}/{all_exp} = "
          f"{all_sum / max(1, all_exp):.3f}")
    print(f"header/footer lines inside sections: {leak_sum}")
    if xml_scores:
        print(f"XML body: min recall {min(s[1] for s in xml_scores):.3f}, min precision {min(s[2] for s in xml_scores):.3f}, "
              f"files with both >= 0.97: {sum(1 for s in xml_scores if s[1] >= .97 and s[2] >= .97)}/{len(xml_scores)}")
    rate = total_pages / total_time if total_time else 0.0
    cpu_rate = total_pages / total_cpu if total_cpu else 0.0
    print(f"speed ({engine}, sections + sentences): {total_pages} pages in {total_time:.2f} s = {rate:.1f} pages/s "
          f"wall clock, {cpu_rate:.1f} pages/s of CPU time (one core)")
    return rate, cpu_rate


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pdfs", type=Path, default=SHARED / "pdfs")
    ap.add_argument("--engines", default="pdfium,pdfplumber")
    ap.add_argument("--file", action="append", help="only this file (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    rows = quality.read_manifest(args.pdfs)
    if args.file:
        rows = [r for r in rows if r["file"] in args.file]
    from classifier.extract.sentences import get_nlp

    get_nlp()  # load spaCy once, outside the timings
    load_document(args.pdfs / rows[0]["file"])  # warm-up (imports, lexicon)
    n_bare, t_bare, c_bare = bare_pass([args.pdfs / r["file"] for r in rows])
    rates = {e: run_engine(e, rows, args.pdfs, args.verbose) for e in args.engines.split(",")}
    n_bare2, t_bare2, c_bare2 = bare_pass([args.pdfs / r["file"] for r in rows])
    bare = (n_bare + n_bare2) / (t_bare + t_bare2)
    bare_cpu = (n_bare + n_bare2) / (c_bare + c_bare2)
    print(f"\nbare pypdfium2 get_text_range: {bare:.1f} pages/s wall clock, {bare_cpu:.1f} pages/s of CPU time "
          "(mean of a pass before and after)")
    for e, (rate, cpu_rate) in rates.items():
        print(f"{e:12} {rate:7.1f} pages/s wall = 1/{bare / max(rate, 1e-9):.1f} of bare; "
              f"{cpu_rate:7.1f} pages/s CPU = 1/{bare_cpu / max(cpu_rate, 1e-9):.1f} of bare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
