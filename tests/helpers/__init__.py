"""Test helpers (not part of the package): extraction quality measures, made-up review data, a
review-page server in a subprocess. Also used by benchmarks/ and scripts/screenshots.py."""
