"""A client's questionnaire submission: server time of POST /portal/q/<token>/.

    .venv/bin/python benchmarks/submission.py              # 60 rounds each
    .venv/bin/python benchmarks/submission.py --rounds 200

Builds a scratch database (a clone of the test suite's migrated template, dropped at the
end) with the personas' practice and Dana in treatment, and one PHQ-9 link per round. Each
round is the whole request in-process through Django's WSGI handler: middleware, the rate
limit, the token's practice through the SECURITY DEFINER function, parsing and validating
the answers, scoring, encrypting them under the client's data key, storing the score,
the audit row and - in the "with a risk answer" case - the risk alert, its in-app
notification and the queued e-mail. Reported: median and 95th percentile wall time and
CPU time, and the queries per submission. Target (issue 6): under 50 ms.
JSON on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "therapia.settings_test")
os.environ.setdefault("THERAPIA_EMBEDDED_DB", "allow")

CALM = [0, 1, 0, 1, 0, 0, 1, 0, 0, 0]
RISK = [1, 1, 2, 1, 0, 1, 1, 0, 1, 1]


def say(message: str) -> None:
    sys.stderr.write(f"[benchmark] {message}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()

    from therapia.cli import ensure_secret_key

    ensure_secret_key()
    import django

    django.setup()
    from django.test.utils import override_settings, setup_test_environment

    from therapia.core import testdb

    setup_test_environment()
    say(f"template database {testdb.template_database()} (built now if missing)")
    with testdb.scratch_database("bench_submission"), \
            override_settings(ROOT_URLCONF="therapia.measures.tests.measures_urls"):
        result = measure(args.rounds)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


def measure(rounds: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from therapia.clients.models import Episode, EpisodeStatus
    from therapia.core.testing import make_personas
    from therapia.measures import administrations
    from therapia.measures.models import Administration, RiskAlert

    load_before = os.getloadavg()[0]
    personas = make_personas()
    episode = Episode.objects.create(practice=personas.practice, client=personas.dana,
                                     opened_on=dt.date(2026, 1, 5),
                                     status=EpisodeStatus.IN_TREATMENT)
    owner = personas.actor("owner")
    http = HttpClient()

    def submit(items: list[int], number: int) -> tuple[float, float, int]:
        token = administrations.administration_create(
            actor=owner, episode=episode, instrument="phq9", with_link=True).token
        if token is None:
            raise RuntimeError("the questionnaire was made without a link")
        data = {f"item_{n}": str(v) for n, v in enumerate(items, 1)}
        data |= {"action": "submit", "submission_id": str(uuid.uuid4())}
        address = f"10.{number // 60000}.{number // 250 % 240}.{number % 250 + 1}"
        url = reverse("portal:questionnaire", args=[token])
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = http.post(url, data, REMOTE_ADDR=address)
            wall = (time.perf_counter() - started) * 1000
            cpu = (time.process_time() - started_cpu) * 1000
        if response.status_code != 302:
            raise RuntimeError(f"submission answered {response.status_code}")
        return wall, cpu, len(captured.captured_queries)

    results: dict[str, Any] = {}
    counter = 0
    for name, items in (("no risk answer", CALM), ("with a risk answer", RISK)):
        for _ in range(5):  # warm-up
            counter += 1
            submit(items, counter)
        runs, cpus, queries = [], [], set()
        for _ in range(rounds):
            counter += 1
            wall, cpu, count = submit(items, counter)
            runs.append(wall)
            cpus.append(cpu)
            queries.add(count)
        runs.sort()
        results[name] = {"median_ms": round(statistics.median(runs), 1),
                         "p95_ms": round(runs[int(len(runs) * 0.95) - 1], 1),
                         "median_cpu_ms": round(statistics.median(cpus), 1),
                         "best_ms": round(runs[0], 1), "queries": sorted(queries)}
        say(f"{name}: {results[name]}")
    stored = Administration.objects.filter(status="completed").count()
    if stored != counter or RiskAlert.objects.count() != rounds + 5:
        raise RuntimeError("not every submission was stored, or an alert is missing")
    return {
        "rounds": rounds, "server_time": results, "target_ms": 50,
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":
    raise SystemExit(main())
