"""Cross-validated evaluation: folds, metrics, baselines and ablations, calibration, learning curve,
full-text gap, and the report (``python -m classifier evaluate``)."""
