#!/usr/bin/env python3
"""The screening set end to end: ``predict.py`` at the scale of a real scoping review.

    python benchmarks/bench_screening.py [--records 13178] [--copies 10] [--steps rpds]

Steps (``--steps``, default all):
  r  records: --records title/abstract records generated from ../shared/corpus with variations
     (each record its own: titles and abstracts re-worded, sentences dropped or reordered, some
     title-only, some with non-ASCII text, DOIs, years, authors), written as one RIS file and one
     CSV file; ``predict.py`` on the RIS at -j 1 and -j 2 and on the CSV at -j 2, --no-cache, with
     progress on (stderr is a pipe: a plain progress line every 10 s): time, peak memory (resident
     set of the runner plus its workers, sampled), rows complete, progress lines shown;
  p  PDFs: --copies copies of the shared PDFs (bytes appended after %%EOF so each is its own
     file) -- a few thousand pages -- with the cache off: a bare pypdfium2 text pass over the same
     files, then ``predict.py`` at -j 1 and -j 2: pages per second per worker, speed-up;
  d  Dask: a local cluster of 2 worker processes (one thread each) started here, the same PDF batch
     through ``--backend dask``: time, and whether its rows are identical to those of -j 2;
  s  start-up: in a fresh process, what a worker does before its first document (CPU seconds and
     modules loaded for: importing the worker, the spaCy pipeline, the model, the first PDF).
Everything is written to a temporary directory; nothing is copied into the repository. The machine
may be shared: the load average is printed, and ``cores available`` says how many cores two busy
processes actually got around the -j runs.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bare_pdfium import bare_pass  # beside this script
from bench_batch import PeakRSS, cores_available

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PEER_CHARTING_SHARED", REPO.parent / "shared"))


# -- inputs ----------------------------------------------------------------------------------------
def corpus_records(corpus: Path) -> list[dict]:
    out = []
    for name in ("studies.jsonl", "charted_studies.jsonl"):
        path = corpus / name
        if path.exists():
            for line in path.read_text("utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    if row.get("title") or row.get("abstract"):
                        out.append({"title": row.get("title") or "", "abstract": row.get("abstract") or ""})
    with open(corpus / "references.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            title = row.get("title") or row.get("Title") or ""
            if title:
                out.append({"title": title, "abstract": row.get("abstract") or ""})
    return out


PREFIXES = ["", "", "", "A pilot study: ", "Protocol: ", "Erratum to: ", "Évaluation: ", "Peer-led "]
SUFFIXES = ["", "", "", " (secondary analysis)", " — a mixed-methods study", " in rural Québec", " [abstract]"]


def variations(base: list[dict], n: int, seed: int = 13178):
    """``n`` distinct records from ``base``: re-worded titles, abstracts with sentences dropped or
    reordered, about 6% title-only, some non-ASCII; ids, DOIs, years and authors of their own."""
    rng = random.Random(seed)
    # records with an abstract (a screening export has one for most records); 6% are made title-only below
    base = [{"title": " ".join(b["title"].split()), "abstract": " ".join(b["abstract"].split())}
            for b in base if b["abstract"].strip()]
    for i in range(n):  # (one line per field, as reference managers export RIS)
        b = base[i % len(base)]
        title = rng.choice(PREFIXES) + b["title"].strip() + rng.choice(SUFFIXES) + f" ({i})"
        sentences = re.split(r"(?<=[.!?])\s+", b["abstract"].strip()) if b["abstract"].strip() else []
        if sentences and rng.random() < 0.5:
            keep = max(1, int(len(sentences) * rng.uniform(0.6, 1.0)))
            sentences = sorted(rng.sample(range(len(sentences)), keep))
            sentences = [re.split(r"(?<=[.!?])\s+", b["abstract"].strip())[k] for k in sentences]
        if len(sentences) > 3 and rng.random() < 0.3:
            middle = sentences[1:-1]
            rng.shuffle(middle)
            sentences = [sentences[0], *middle, sentences[-1]]
        abstract = "" if rng.random() < 0.06 else " ".join(sentences)
        yield {"id": f"scr{i:05d}", "title": title, "abstract": abstract, "doi": f"10.5555/screen.{i}",
               "year": str(1995 + i % 30), "authors": [f"Author{i % 97}, A.", f"Coauthor{i % 89}, B."]}


def write_ris(path: Path, records) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for r in records:
            handle.write("TY  - JOUR\n")
            handle.write(f"ID  - {r['id']}\n")
            handle.write(f"TI  - {r['title']}\n")
            for author in r["authors"]:
                handle.write(f"AU  - {author}\n")
            handle.write(f"PY  - {r['year']}\n")
            if r["abstract"]:
                handle.write(f"AB  - {r['abstract']}\n")
            handle.write(f"DO  - {r['doi']}\n")
            handle.write("ER  - \n\n")


def write_csv(path: Path, records) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "abstract", "doi", "year"])
        for r in records:
            writer.writerow([r["id"], r["title"], r["abstract"], r["doi"], r["year"]])


def pdf_copies(pdfs: list[Path], folder: Path, copies: int) -> list[Path]:
    folder.mkdir()
    out = []
    for copy in range(copies):
        for pdf in pdfs:
            target = folder / f"{pdf.stem}_copy{copy:02d}.pdf"
            shutil.copyfile(pdf, target)
            with open(target, "ab") as handle:
                handle.write(f"\n%screening copy {copy}\n".encode())
            out.append(target)
    return out


# -- running ---------------------------------------------------------------------------------------
def cpu_of_children() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def predict(args: list, env: dict) -> dict:
    """Run predict.py (progress on), sampling memory; returns figures and the stderr lines."""
    cpu0 = cpu_of_children()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(REPO / "predict.py"), *map(str, args)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = PeakRSS(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    if proc.returncode not in (0, 1):
        sys.exit(f"predict.py failed ({proc.returncode}): {err.strip()[-500:]}")
    return {"seconds": elapsed, "cpu": cpu_of_children() - cpu0, "peak": sampler.peak_total,
            "peak_main": sampler.peak_main, "peak_worker": sampler.peak_worker,
            "progress": [ln for ln in err.splitlines() if ln.startswith("labelling:")],
            "summary": [ln for ln in err.splitlines() if ln.startswith("labelled ")], "status": proc.returncode}


def read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def step_records(opts, tmp: Path, env: dict) -> None:
    base = corpus_records(opts.corpus)
    records = list(variations(base, opts.records))
    ris, table = tmp / "screening.ris", tmp / "screening.csv"
    write_ris(ris, records)
    write_csv(table, records)
    title_only = sum(not r["abstract"] for r in records)
    print(f"r. {len(records)} records from the {sum(bool(b['abstract'].strip()) for b in base)} corpus entries "
          f"with an abstract ({title_only} made title-only); "
          f"RIS {ris.stat().st_size / 2**20:.1f} MiB, CSV {table.stat().st_size / 2**20:.1f} MiB", flush=True)
    results = {}
    for name, path, jobs in (("RIS", ris, 1), ("RIS", ris, 2), ("CSV", table, 2)):
        out = tmp / f"rec_{name}_{jobs}.csv"
        before = cores_available(1.0) if jobs == 2 else None
        r = predict([path, "--out", out, "-j", jobs, "--no-cache"], env)
        rows = read_rows(out)
        ok = sum(row["status"] == "ok" for row in rows)
        results[(name, jobs)] = (r, rows)
        print(f"   {name} -j {jobs}: {r['seconds']:.1f} s = {len(rows) / r['seconds']:.0f} records/s; rows "
              f"{len(rows)}/{len(records)} written, {ok} ok; peak memory {mib(r['peak'])} (runner "
              f"{mib(r['peak_main'])}, largest worker {mib(r['peak_worker'])}); CPU {r['cpu']:.1f} s; "
              f"{len(r['progress'])} progress lines"
              + (f"; cores available before: {before:.2f}" if before is not None else ""), flush=True)
        if r["progress"]:
            print(f"      first: {r['progress'][0]}\n      last:  {r['progress'][-1]}")
        if r["summary"]:
            print(f"      {r['summary'][0]}")
    (r1, rows1), (r2, rows2) = results[("RIS", 1)], results[("RIS", 2)]
    same = [dict(row, source="") for row in rows1] == [dict(row, source="") for row in rows2]
    csv_same = ([{k: v for k, v in row.items() if k != "source"} for row in rows2]
                == [{k: v for k, v in row.items() if k != "source"} for row in results[("CSV", 2)][1]])
    print(f"   -j 2 against -j 1: {r1['seconds'] / r2['seconds']:.2f}x faster; rows identical: {same}; "
          f"CSV rows identical to RIS rows (but for source): {csv_same}", flush=True)


def step_pdfs(opts, tmp: Path, env: dict, state: dict) -> None:
    pdfs = sorted(opts.pdfs.glob("*.pdf"))
    files = pdf_copies(pdfs, tmp / "pdfs", opts.copies)
    pages, bare, bare_cpu = bare_pass(files)
    print(f"p. {len(files)} PDFs, {pages} pages; bare pypdfium2 text pass: {bare:.1f} s = {pages / bare:.0f} pages/s "
          f"({pages / bare_cpu:.0f} pages/s of CPU)", flush=True)
    note = tmp / "note.txt"
    note.write_text("Peer workers supported people in the community. They linked clients to services.\n")
    start = predict([note, "--out", tmp / "note.csv", "-j", 1, "--no-cache", "--quiet"], env)
    print(f"   start-up (predict.py -j 1 on one short .txt): {start['seconds']:.1f} s", flush=True)
    runs = {}
    for jobs in (1, 2):
        before = cores_available(1.0)
        r = predict([tmp / "pdfs", "--out", tmp / f"pdf_j{jobs}.csv", "-j", jobs, "--no-cache"], env)
        rows = read_rows(tmp / f"pdf_j{jobs}.csv")
        runs[jobs] = (r, rows)
        ok = sum(row["status"] == "ok" for row in rows)
        steady = r["seconds"] - start["seconds"]
        print(f"   -j {jobs}: {r['seconds']:.1f} s, {ok}/{len(files)} ok = {pages / r['seconds']:.1f} pages/s, "
              f"{pages / r['seconds'] / jobs:.1f} pages/s per worker ({pages / steady / jobs:.1f} after start-up) = "
              f"1/{pages / bare / (pages / r['seconds'] / jobs):.1f} of the bare pass; CPU {r['cpu']:.0f} s "
              f"({pages / r['cpu']:.1f} pages per CPU second); peak memory {mib(r['peak'])}; cores available "
              f"before: {before:.2f}", flush=True)
    (r1, rows1), (r2, rows2) = runs[1], runs[2]
    print(f"   -j 2 against -j 1: {r1['seconds'] / r2['seconds']:.2f}x faster; rows identical: {rows1 == rows2}",
          flush=True)
    state["pdf_rows_j2"] = rows2
    state["pdf_pages"] = pages
    state["pdf_j2_seconds"] = r2["seconds"]


def step_dask(opts, tmp: Path, env: dict, state: dict) -> None:
    from distributed import LocalCluster

    if "pdf_rows_j2" not in state:  # --steps d alone: the same PDFs with -j 2 as the reference
        pdfs = sorted(opts.pdfs.glob("*.pdf"))
        files = pdf_copies(pdfs, tmp / "pdfs", opts.copies)
        state["pdf_pages"] = bare_pass(files)[0]
        r = predict([tmp / "pdfs", "--out", tmp / "pdf_j2.csv", "-j", 2, "--no-cache"], env)
        state["pdf_rows_j2"], state["pdf_j2_seconds"] = read_rows(tmp / "pdf_j2.csv"), r["seconds"]
    # the cluster's worker processes are started from this process: same code and model as predict.py
    os.environ["PYTHONPATH"] = env["PYTHONPATH"]
    sys.path.insert(0, str(REPO))  # spawned worker processes inherit this process's sys.path
    started = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        up = time.perf_counter() - started
        r = predict([tmp / "pdfs", "--out", tmp / "pdf_dask.csv", "--backend", "dask", "--scheduler",
                     cluster.scheduler_address, "--no-cache"], env)
    rows = read_rows(tmp / "pdf_dask.csv")
    same = rows == state["pdf_rows_j2"]
    pages = state["pdf_pages"]
    print(f"d. Dask LocalCluster, 2 worker processes x 1 thread (started in {up:.1f} s): {r['seconds']:.1f} s = "
          f"{pages / r['seconds']:.1f} pages/s ({state['pdf_j2_seconds']:.1f} s with -j 2); rows identical to -j 2: "
          f"{same} ({len(rows)} rows, {sum(row['status'] == 'ok' for row in rows)} ok)", flush=True)


STARTUP = r"""
import sys, time, resource
def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF); return u.ru_utime + u.ru_stime
stages = []
def lap(name, c0, w0, m0):
    stages.append((name, cpu() - c0, time.perf_counter() - w0, len(sys.modules) - m0))
c, w, m = cpu(), time.perf_counter(), len(sys.modules)
from classifier.batch.worker import Task, WorkerSettings, label_chunk
lap("import the worker module", c, w, m)
c, w, m = cpu(), time.perf_counter(), len(sys.modules)
from classifier.extract.sentences import get_nlp
get_nlp()
lap("spaCy pipeline (blank en, sentencizer, lookup lemmas)", c, w, m)
c, w, m = cpu(), time.perf_counter(), len(sys.modules)
from classifier.model import load_model
load_model(None)
lap("the model (scikit-learn, skops, pandas)", c, w, m)
from classifier.batch.inputs import Plan
item = list(Plan([sys.argv[1]]))[0]
c, w, m = cpu(), time.perf_counter(), len(sys.modules)
label_chunk([Task(0, item)], WorkerSettings())
lap("first PDF (" + str(item.id) + ")", c, w, m)
c, w, m = cpu(), time.perf_counter(), len(sys.modules)
label_chunk([Task(0, item)], WorkerSettings())
lap("the same PDF again", c, w, m)
for name, c, w, m in stages:
    print(f"{c:6.2f} s CPU {w:6.2f} s wall {m:5d} modules  {name}")
tops = sorted({k.split(".")[0] for k in sys.modules if not k.startswith("_")})
print("packages loaded:", " ".join(t for t in tops if t in ("spacy", "thinc", "sklearn", "scipy", "pandas", "skops",
      "pypdfium2", "pdfplumber", "matplotlib", "dask", "distributed", "flask", "openpyxl", "rispy", "typer",
      "rich", "requests", "httpx", "pydantic", "jinja2", "tqdm", "yaml", "numpy", "PIL")))
"""


def step_startup(opts, tmp: Path, env: dict) -> None:
    pdf = opts.pdfs / "hindawi_stillbirth_delays.pdf"
    done = subprocess.run([sys.executable, "-c", STARTUP, str(pdf)], cwd=REPO, env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        sys.exit(f"start-up step failed: {done.stderr.strip()[-500:]}")
    print("s. what a worker does before its first document (fresh process):")
    for line in done.stdout.splitlines():
        print(f"   {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", type=Path, default=SHARED / "pdfs")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    parser.add_argument("--records", type=int, default=13178, help="records in the screening file (default 13178)")
    parser.add_argument("--copies", type=int, default=10, help="copies of the shared PDFs (default 10: 2,600 pages)")
    parser.add_argument("--steps", default="rpds", help="r records, p PDFs, d Dask, s start-up (default all)")
    opts = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-screening-"))
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp / "cache"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    state: dict = {}
    try:
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
              f"(shared with other work: wall-clock figures vary with it)", flush=True)
        if "s" in opts.steps:
            step_startup(opts, tmp, env)
        if "r" in opts.steps:
            step_records(opts, tmp, env)
        if "p" in opts.steps:
            step_pdfs(opts, tmp, env, state)
        if "d" in opts.steps:
            step_dask(opts, tmp, env, state)
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
