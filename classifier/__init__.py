"""peer-charting: NLP-assisted charting of peer-worker studies (role, phases, boundary-spanner language).

The pipeline, one subpackage per stage:
file -> ``extract`` (Document: pages, sections, sentences) -> ``features`` -> ``model`` (per-task
predictions with evidence) -> ``io`` writers; ``batch`` runs it at scale, ``evaluate`` measures it,
``review`` and ``web`` put uncertain predictions in front of a person.
Nothing heavy is imported here.
"""
__version__ = "0.1.0"
