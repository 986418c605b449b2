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
import re
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PEER_CHARTING_SHARED", REPO.parent / "shared"))
sys.path.insert(0, str(REPO))


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def make_scan(src: Path, pages: list[int], out: Path, dpi: int, photocopy: bool) -> None:
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image

    pdf = pdfium.PdfDocument(str(src))
    rng = np.random.default_rng(3)
    images = []
    for number in pages:
        image = pdf[number - 1].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        if photocopy:
            image = image.rotate(0.8, resample=Image.BICUBIC, fillcolor=255)
            pixels = np.asarray(image).astype(np.int16) + rng.normal(0, 10, image.size[::-1]).astype(np.int16)
            pixels[rng.random(pixels.shape) < 0.002] = 0
            image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        images.append(image)
    images[0].save(str(out), "PDF", resolution=dpi, save_all=True, append_images=images[1:])


def subset(src: Path, pages: list[int], out: Path) -> None:
    import pypdfium2 as pdfium

    pdf, new = pdfium.PdfDocument(str(src)), pdfium.PdfDocument.new()
    new.import_pages(pdf, [p - 1 for p in pages])
    new.save(str(out))


def words(text: str) -> Counter:
    return Counter(re.findall(r"[^\W_]+", text.lower()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", type=Path, default=SHARED / "pdfs")
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--pages", type=int, default=2)
    parser.add_argument("--dpi", type=int, default=300)
    opts = parser.parse_args()
    from classifier.extract import load_document
    from classifier.extract.ocr import tesseract

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
            scan, truth_pdf = tmp / f"scan_{k}.pdf", tmp / f"pages_{k}.pdf"
            make_scan(opts.pdfs / name, pages, scan, opts.dpi, photocopy=k == 0)
            subset(opts.pdfs / name, pages, truth_pdf)
            truth = load_document(truth_pdf, ocr="never")
            c0, w0 = cpu(), time.perf_counter()
            doc = load_document(scan, timeout=0)
            wall, used = time.perf_counter() - w0, cpu() - c0
            expected, got = words(truth.text), words(doc.text)
            common = sum((expected & got).values())
            kind = "photocopy" if k == 0 else "clean"
            print(f"{name:42s} {kind:9s} {len(pages)} pages, OCR'd {doc.ocr_pages}: {wall:5.1f} s wall, "
                  f"{used:5.1f} s CPU = {len(pages) / used:.2f} pages/s per core; word recall "
                  f"{common / sum(expected.values()):.3f}, precision {common / max(1, sum(got.values())):.3f}",
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
