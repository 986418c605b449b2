"""Readers (one module per record format) and writers (one module per output format)."""
from .records import Record, RecordError, read_records, RECORD_SUFFIXES

__all__ = ["Record", "RecordError", "read_records", "RECORD_SUFFIXES"]
