"""Back to the reference manager (``predict.py --ris / --refs-csv``) and from it: exports saved as
``.txt`` (RIS or Web of Science tags) are read as records, ``.tab`` as a table. Records are built at
run time from the corpus in ../shared (titles and abstracts are never copied into the repository)."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import rispy

from classifier.io.records import read_records, sniff_txt

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def studies(corpus_dir) -> list[dict]:
    with open(corpus_dir / "studies.jsonl", encoding="utf-8") as handle:
        rows = [json.loads(line) for line, _ in zip(handle, range(5))]
    assert len(rows) == 5
    return rows


def ris_text(studies, newline="\n") -> str:
    out = []
    for s in studies:
        out += ["TY  - JOUR", f"ID  - {s['id']}", f"TI  - {s['title']}", "AU  - Doe, Jane", "AU  - Roe, R.",
                f"PY  - {s.get('year') or 2020}", f"T2  - {s.get('journal') or 'A journal'}",
                f"AB  - {' '.join(s['abstract'].split())}", f"DO  - {s.get('doi') or ''}", "ER  - ", ""]
    return newline.join(out)


def wos_text(studies) -> str:
    out = ["FN Clarivate Analytics Web of Science", "VR 1.0"]
    for n, s in enumerate(studies, start=1):
        words = " ".join(s["abstract"].split()).split(" ")
        half = len(words) // 2
        out += ["PT J", "AU Doe, J", "   Roe, R", f"TI {s['title']}", f"SO {(s.get('journal') or 'A JOURNAL').upper()}",
                f"AB {' '.join(words[:half])}", f"   {' '.join(words[half:])}", f"PY {s.get('year') or 2020}",
                f"UT WOS:00000000000000{n}", "ER", ""]
    return "\n".join(out + ["EF", ""])


def test_txt_exports_are_recognised_by_content(tmp_path, studies):
    endnote = tmp_path / "endnote_export.txt"
    endnote.write_text("\ufeff" + ris_text(studies, "\r\n"), encoding="utf-8")
    wos = tmp_path / "savedrecs.txt"
    wos.write_text(wos_text(studies), encoding="utf-8")
    article = tmp_path / "article.txt"
    article.write_text("Peer workers in community teams\n\nAbstract\nTY was a peer worker. " + studies[0]["abstract"],
                       encoding="utf-8")
    assert sniff_txt(endnote) == "ris" and sniff_txt(wos) == "wos" and sniff_txt(article) is None

    ris_records = list(read_records(endnote))
    assert [r.id for r in ris_records] == [s["id"] for s in studies]
    assert ris_records[2].where == "RIS record 3" and ris_records[0].title == studies[0]["title"]
    wos_records = list(read_records(wos))
    assert len(wos_records) == 5 and not any(r.error for r in wos_records)
    assert wos_records[1].title == studies[1]["title"] and wos_records[1].id == "WOS:000000000000002"
    assert wos_records[0].abstract == " ".join(studies[0]["abstract"].split())   # continuation lines joined
    assert wos_records[0].where == "Web of Science record 1"


def test_tab_is_read_as_a_table(tmp_path, studies):
    path = tmp_path / "asreview.tab"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["record_id", "title", "abstract"])
        for s in studies:
            writer.writerow([s["id"], s["title"], s["abstract"]])
    records = list(read_records(path))
    assert [r.id for r in records] == [s["id"] for s in studies]
    assert records[3].abstract == studies[3]["abstract"]


def test_predict_writes_ris_and_refs_csv_that_read_back_with_labels(tmp_path, studies):
    txt = tmp_path / "endnote_export.txt"
    txt.write_text(ris_text(studies[:3]), encoding="utf-8")
    wos = tmp_path / "savedrecs.txt"
    wos.write_text(wos_text(studies[3:]), encoding="utf-8")
    out, ris, refs = tmp_path / "pred.csv", tmp_path / "charted.ris", tmp_path / "rayyan.csv"
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    run = subprocess.run([sys.executable, str(REPO / "predict.py"), str(txt), str(wos), "--out", str(out),
                          "--ris", str(ris), "--refs-csv", str(refs), "-q"],
                         capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # five studies, not two: each export is a list of records, and the source says how it was read
    assert [r["id"] for r in rows[:3]] == [s["id"] for s in studies[:3]]
    assert len(rows) == 5 and all(r["status"] == "ok" for r in rows)
    assert rows[0]["source"].endswith("endnote_export.txt#RIS record 1")
    assert rows[4]["source"].endswith("savedrecs.txt#Web of Science record 2")
    # the audit trail: every row names the model (its file's SHA-256) and the codebook version
    import hashlib
    import yaml

    digest = hashlib.sha256((REPO / "models" / "peer-charting" / "model.skops").read_bytes()).hexdigest()
    card = json.loads((REPO / "models" / "peer-charting" / "model_card.json").read_text("utf-8"))
    schema = yaml.safe_load((REPO / "classifier" / "data" / "schema.yml").read_text("utf-8"))
    for row in rows:
        assert row["model_hash"] == digest and row["model_name"] == card["name"]
        assert row["model_version"] == card["date"]
        assert row["codebook_version"] == schema["codebook"]["version"] != ""

    entries = rispy.load(ris)
    assert [e["id"] for e in entries] == [r["id"] for r in rows]
    for entry, row in zip(entries, rows):
        expected = {f"role: {row['role']}", f"boundary_spanner: {row['boundary_spanner']}"}
        expected |= {f"phases: {p}" for p in row["phases"].split(";") if p}
        # the screening suggestion (the schema's first task) as a keyword too, for Covidence/Rayyan
        assert row["eligible"] in ("true", "false")
        expected.add(f"eligible: {row['eligible']}")
        if row["eligible"] == "false":
            expected.add(f"exclusion_reason: {row['exclusion_reason']}")
        assert set(entry["keywords"]) == expected
        assert row["role"] in entry["notes"][0] and "peer-charting" in entry["notes"][0]
        assert digest[:12] in entry["notes"][0]
        assert entry["title"] == row["title"]
    assert entries[0]["authors"] == ["Doe, Jane", "Roe, R."]
    assert entries[0]["year"] == str(studies[0].get("year") or 2020)

    with open(refs, encoding="utf-8", newline="") as handle:
        ref_rows = list(csv.DictReader(handle))
    assert [r["key"] for r in ref_rows] == [r["id"] for r in rows]
    assert ref_rows[1]["role"] == rows[1]["role"] and f"role: {rows[1]['role']}" in ref_rows[1]["keywords"]
    assert ref_rows[1]["notes"].startswith("peer-charting")


def test_ris_keywords_and_note_carry_the_exclusion_reason(tmp_path, corpus_dir, studies):
    """A search export holding a systematic review (a near-miss the codebook excludes as not empirical):
    its RIS record says why it is excluded, as a keyword a reference manager can group by and in the note."""
    charted = [json.loads(line) for line in (corpus_dir / "charted_studies.jsonl").open(encoding="utf-8") if line.strip()]
    review = next(c for c in charted if not c["in_scope"] and c["scope_category"] == "not_empirical"
                  and "systematic review" in c["title"].lower())
    export = tmp_path / "search.ris"
    export.write_text(ris_text([review, studies[0]]), encoding="utf-8")
    out, ris = tmp_path / "pred.csv", tmp_path / "out.ris"
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    run = subprocess.run([sys.executable, str(REPO / "predict.py"), str(export), "--out", str(out), "--ris", str(ris),
                          "-q"], capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    with open(out, encoding="utf-8", newline="") as handle:
        rows = {r["id"]: r for r in csv.DictReader(handle)}
    assert (rows[review["id"]]["eligible"], rows[review["id"]]["exclusion_reason"]) == ("false", "not_empirical")
    entries = {e["id"]: e for e in rispy.load(ris)}
    excluded = entries[review["id"]]
    assert {"eligible: false", "exclusion_reason: not_empirical"} <= set(excluded["keywords"])
    assert "eligible false" in excluded["notes"][0] and "exclusion reason not_empirical" in excluded["notes"][0]
    kept = entries[studies[0]["id"]]
    if rows[studies[0]["id"]]["eligible"] == "true":   # an included study carries no reason
        assert not any(k.startswith("exclusion_reason") for k in kept["keywords"])
        assert "exclusion reason" not in kept["notes"][0]


def test_error_rows_keep_their_place_in_the_ris(tmp_path, studies):
    bad = tmp_path / "export.ris"
    bad.write_text(ris_text(studies[:1]) + "\nTY  - JOUR\nID  - empty_one\nER  - \n", encoding="utf-8")
    ris = tmp_path / "out.ris"
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    run = subprocess.run([sys.executable, str(REPO / "predict.py"), str(bad), "--out", str(tmp_path / "p.csv"),
                          "--ris", str(ris), "-q"], capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
    assert run.returncode == 1
    entries = rispy.load(ris)
    assert [e["id"] for e in entries] == [studies[0]["id"], "empty_one"]
    assert "keywords" not in entries[1] and "could not chart" in entries[1]["notes"][0]
