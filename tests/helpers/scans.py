"""Scanned PDFs made from born-digital ones, for the OCR tests and ``benchmarks/bench_ocr.py``.

Pages are rendered to grey images by pypdfium2, optionally rotated and speckled like a photocopy,
and wrapped as image-only PDFs (Pillow; reportlab when a text stamp is added). Written to the paths
given (temporary directories), never into the repository.
"""
from __future__ import annotations


def born_digital(src, pages: list[int], out):
    """The born-digital pages ``pages`` (1-based) of ``src`` as a PDF of their own."""
    import pypdfium2 as pdfium

    pdf, new = pdfium.PdfDocument(str(src)), pdfium.PdfDocument.new()
    new.import_pages(pdf, [p - 1 for p in pages])
    new.save(str(out))
    return out


def scan(src, pages: list[int], out, dpi: int = 300, angle: float = 0.0, noise: float = 0.0, stamp: str = "",
         seed: int = 7):
    """An image-only PDF of pages of ``src``: rendered at ``dpi``, rotated by ``angle`` degrees,
    with grey noise (standard deviation ``noise``) and dark speckles when ``noise`` > 0 (drawn from
    a generator seeded with ``seed``, so a scan is the same every time). With ``stamp``, each page
    also carries that line as text (as repositories stamp scans they serve)."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image

    pdf = pdfium.PdfDocument(str(src))
    rng = np.random.default_rng(seed)
    images = []
    for number in pages:
        image = pdf[number - 1].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        if angle:
            image = image.rotate(angle, resample=Image.BICUBIC, fillcolor=255)
        if noise:
            pixels = np.asarray(image).astype(np.int16) + rng.normal(0, noise, image.size[::-1]).astype(np.int16)
            pixels[rng.random(pixels.shape) < 0.002] = 0
            image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        images.append(image)
    if not stamp:
        images[0].save(str(out), "PDF", resolution=dpi, save_all=True, append_images=images[1:])
        return out
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(out))
    for image in images:
        w, h = image.size[0] * 72 / dpi, image.size[1] * 72 / dpi
        c.setPageSize((w, h))
        c.drawImage(ImageReader(image), 0, 0, w, h)
        c.setFont("Helvetica", 7)
        c.drawString(20, 8, stamp)
        c.showPage()
    c.save()
    return out
