#!/usr/bin/env python3
"""OCR speed and quality on scans made from the shared PDFs.

    python benchmarks/bench_ocr.py [--pdfs ../shared/pdfs] [--pages 2] [--files 3] [--dpi 300]

Renders the first --pages pages of --files PDFs to grey images at --dpi (the first file's pages
also rotated by 0.8 degrees with speckle, like a photocopy), wraps them as image-only PDFs, and
reads each back with ``load_document`` (OCR auto). Prints, per file and in total: pages, wall time,
CPU time of this process plus Tesseract's (its child processes), pages per second per core (pages
over that CPU time), and word recall / precision against the born-digital pages; then the same
pages read from the born-digital PDFs for comparison. Temporary files only.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PEER_CHARTING_SHARED", REPO.parent / "shared"))
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # test helpers (helpers/): the same scans as the OCR tests


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", type=Path, default=SHARED / "pdfs")
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--pages", type=int, default=2)
    parser.add_argument("--dpi", type=int, default=300)
    opts = parser.parse_args()
    from classifier.extract import load_document
    from classifier.extract.ocr import tesseract
    from helpers.quality import recall_precision
    from helpers.scans import born_digital, scan

    found = tesseract()
    if found is None:
        sys.exit("Tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-eng)")
    names = ["hindawi_stillbirth_delays.pdf", "bmc_trials_dolce_protocol.pdf", "plosone_fanged_frog.pdf",
             "frontiers_psych_canine_cooperation.pdf", "mdpi_metabolites_wheat.pdf"][: opts.files]
    tmp = Path(tempfile.mkdtemp(prefix="bench-ocr-"))
    print(f"{found[1]}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (the machine is shared)")
    total_pages = total_wall = total_cpu = 0.0
    try:
        for k, name in enumerate(names):
            pages = list(range(1, opts.pages + 1))
            scanned, truth_pdf = tmp / f"scan_{k}.pdf", tmp / f"pages_{k}.pdf"
            photocopy = {"angle": 0.8, "noise": 10} if k == 0 else {}
            scan(opts.pdfs / name, pages, scanned, opts.dpi, seed=3, **photocopy)
            truth = load_document(born_digital(opts.pdfs / name, pages, truth_pdf), ocr="never")
            c0, w0 = cpu(), time.perf_counter()
            doc = load_document(scanned, timeout=0)
            wall, used = time.perf_counter() - w0, cpu() - c0
            recall, precision = recall_precision(doc.text, truth.text)
            kind = "photocopy" if k == 0 else "clean"
            print(f"{name:42s} {kind:9s} {len(pages)} pages, OCR'd {doc.ocr_pages}: {wall:5.1f} s wall, "
                  f"{used:5.1f} s CPU = {len(pages) / used:.2f} pages/s per core; word recall {recall:.3f}, "
                  f"precision {precision:.3f}",
                  flush=True)
            total_pages += len(pages)
            total_wall += wall
            total_cpu += used
        print(f"total: {total_pages:.0f} pages at {opts.dpi} dpi in {total_wall:.1f} s wall, {total_cpu:.1f} s CPU: "
              f"{total_pages / total_cpu:.2f} pages/s per core ({total_cpu / total_pages:.1f} s of CPU per page); "
              f"{total_pages / total_wall:.2f} pages/s on the wall clock of this run")
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
