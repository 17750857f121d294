"""How fast the diagnosis-code type-ahead answers (target: under about 20 ms a query).

    .venv/bin/python benchmarks/icd_search.py              # 200 rounds per query
    .venv/bin/python benchmarks/icd_search.py --rounds 500

Uses a scratch database cloned from the test suite's migrated template (the code table is
loaded by migration clinical/0003; dropped at the end). Measures, as median / p90 of
--rounds runs after a warm-up, for each query a clinician might type:

  query     therapia.clinical.icd.search(q, system) evaluated to a list (one SQL query on
            the code table: ~1,120 ICD-10-CM and 860 ICD-11 rows);
  endpoint  GET /clinical/codes/search/?q=...&system=... in-process through Django's WSGI
            handler (middleware, session, the query, the partial template), signed in.

Prints JSON on stdout, progress on stderr, with the 1-minute load average.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "therapia.settings_test")
os.environ.setdefault("THERAPIA_EMBEDDED_DB", "allow")

QUERIES = [  # (query, code list)
    ("F3", "icd10cm"), ("F41.1", "icd10cm"), ("f43", "icd10cm"), ("panic", "icd10cm"),
    ("major depressive recurrent", "icd10cm"), ("post traumatic", "icd11"),
    ("6B4", "icd11"), ("anxiety", ""), ("zzz", "icd10cm"),
]


def say(message: str) -> None:
    sys.stderr.write(f"[benchmark] {message}\n")


def timed(run: Callable[[], object], rounds: int) -> dict[str, float]:
    run()  # warm-up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 3),
            "p90_ms": round(times[int(0.9 * (len(times) - 1))], 3),
            "max_ms": round(times[-1], 3)}


def measure(rounds: int) -> dict[str, Any]:
    from django.test import Client as HttpClient
    from django.urls import reverse

    from therapia.clinical import icd
    from therapia.core.testing import make_personas, sign_in

    load_before = os.getloadavg()[0]
    personas = make_personas()
    http = sign_in(HttpClient(), personas.owner.user)
    url = reverse("clinical:icd_search")
    rows = []
    for query, system in QUERIES:
        hits = len(list(icd.search(query, system=system)))

        def search(q: str = query, s: str = system) -> None:
            list(icd.search(q, system=s))

        def endpoint(q: str = query, s: str = system) -> None:
            response = http.get(url, {"q": q, "system": s or "icd10cm"})
            if response.status_code != 200:
                raise RuntimeError(f"search answered {response.status_code}")

        say(f"{query!r} ({system or 'both'}): {hits} results")
        rows.append({"query": query, "system": system or "both", "results": hits,
                     "query_ms": timed(search, rounds),
                     "endpoint_ms": timed(endpoint, rounds)})
    return {"rounds": rounds, "python": platform.python_version(),
            "cpus": os.cpu_count(), "load_1min_before": round(load_before, 2),
            "load_1min_after": round(os.getloadavg()[0], 2), "queries": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    from therapia.cli import ensure_secret_key

    ensure_secret_key()
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    from therapia.core import testdb

    setup_test_environment()
    say(f"template database {testdb.template_database()} (built now if missing)")
    with testdb.scratch_database("bench_icd_search"):
        result = measure(args.rounds)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
