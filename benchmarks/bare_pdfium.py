"""The yardstick every speed figure is compared with: a bare pypdfium2 ``get_text_range`` pass."""
from __future__ import annotations

import time


def bare_pass(paths) -> tuple[int, float, float]:
    """``(pages, wall seconds, CPU seconds)`` to read every page's raw text of ``paths``."""
    import pypdfium2 as pdfium

    wall, cpu, pages = time.perf_counter(), time.process_time(), 0
    for path in paths:
        pdf = pdfium.PdfDocument(str(path))
        for page in pdf:
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
            pages += 1
        pdf.close()
    return pages, time.perf_counter() - wall, time.process_time() - cpu
