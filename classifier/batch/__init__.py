"""The batch runner behind ``predict.py``: inputs -> workers (joblib/loky or Dask) -> rows in input
order, with a content-hash cache, per-document limits and streaming writers."""
