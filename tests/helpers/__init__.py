"""Test helpers (not part of the package): extraction quality measures, scanned PDFs made from
born-digital ones, made-up review data, a review-page server in a subprocess. Also used by
benchmarks/ and scripts/screenshots.py."""
