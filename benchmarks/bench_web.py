#!/usr/bin/env python3
"""Review page speed: render times of the queue and document pages and the cost of one save.

    python benchmarks/bench_web.py [--documents 2000] [--repeat 5]

Generates made-up predictions (tests/helpers/sample.py) in a temporary folder, drives the Flask app
through its test client (no network, no browser) and prints milliseconds per page and per save.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # test helpers: made-up review data


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from classifier.web import ServeConfig, create_app
    from helpers.sample import write_sample

    with tempfile.TemporaryDirectory() as tmp:
        sample = write_sample(Path(tmp), args.documents, report=False)
        client = create_app(ServeConfig(predictions=sample["predictions"],
                                        annotations=sample["annotations"])).test_client()
        middle = f"study_{args.documents // 2:03d}"
        for url in ("/queue", "/queue?task=role&label=co_creation", f"/doc/{middle}"):
            start = time.perf_counter()
            response = client.get(url)  # the first request computes the strategy order
            first = time.perf_counter() - start
            start = time.perf_counter()
            for _ in range(args.repeat):
                response = client.get(url)
            each = (time.perf_counter() - start) / args.repeat
            print(f"{url:<40} first {first * 1000:6.0f} ms   then {each * 1000:6.0f} ms/page   "
                  f"{len(response.data) // 1024} KiB   status {response.status_code}")
        saves = min(50, args.documents)
        start = time.perf_counter()
        for i in range(1, saves + 1):
            client.post(f"/doc/study_{i:03d}", data={"role": "co_creation", "reviewer": "bench"})
        each = (time.perf_counter() - start) / saves
        print(f"save (lock, atomic replace, log){'':<9} {each * 1000:6.1f} ms each over {saves} saves, "
              f"{args.documents} documents queued")
    return 0


if __name__ == "__main__":
    sys.exit(main())
