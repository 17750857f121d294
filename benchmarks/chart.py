"""How long one client's trajectory chart takes to build and draw, with 200 scores.

    .venv/bin/python benchmarks/chart.py                 # 200 scores, 200 repetitions, 5 runs
    .venv/bin/python benchmarks/chart.py --scores 500 --runs 7

Each repetition does what the outcome page does in Python for one instrument once the scores
are loaded: therapia.measures.trajectory.build (bands, change category, a not-on-track check
against the default PHQ-9 expected-recovery curve at every score), the clinician's SVG, the
table alternative (HTML) and the summary in words. The scores are seeded (a weekly PHQ-9
series drifting down with noise, a session number on each) and generated before timing;
sessions and a few events are drawn too. No database, no Django: the page's queries are a
fixed number whatever the number of scores (the outcome page's query-count test pins it).
Target: a client with 200 scores charts in under 50 ms server time. JSON on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from therapia.measures import charts, trajectory  # noqa: E402 (after the path is set)


def workload(count: int, seed: int = 6) -> dict[str, Any]:
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not secrets)
    start = dt.datetime(2024, 1, 8, 9, tzinfo=dt.UTC)
    scores = []
    value = 20.0
    for i in range(count):
        value = min(27, max(0, value - 0.08 + rng.gauss(0, 1.6)))
        scores.append(trajectory.Score(when=start + dt.timedelta(days=7 * i),
                                       value=round(value), session=i))
    sessions = [start + dt.timedelta(days=7 * i, hours=1) for i in range(count)]
    events = [trajectory.Event(when=start + dt.timedelta(days=70 * i), label="Plan revised")
              for i in range(max(1, count // 10))]
    return {"scores": scores, "sessions": sessions, "events": events}


def chart_once(data: dict[str, Any]) -> int:
    built = trajectory.build("phq9", data["scores"], sessions=data["sessions"],
                             events=data["events"])
    svg = charts.render_svg(built, audience="clinician", id_prefix="c")
    table = charts.table_html(built, audience="clinician", caption="PHQ-9 scores")
    words = trajectory.clinician_summary(built)
    return len(svg) + len(table) + len(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scores", type=int, default=200)
    parser.add_argument("--repetitions", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = workload(args.scores)
    chart_once(data)  # warm the instrument library and compiled tables
    load = os.getloadavg()[0]
    per_chart_ms: list[float] = []
    cpu_ms: list[float] = []
    size = 0
    for run in range(args.runs):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.repetitions):
            size = chart_once(data)
        per_chart_ms.append((time.perf_counter() - wall) / args.repetitions * 1000)
        cpu_ms.append((time.process_time() - cpu) / args.repetitions * 1000)
        sys.stderr.write(f"[benchmark] run {run + 1}: {per_chart_ms[-1]:.2f} ms per chart\n")
    sys.stdout.write(json.dumps({
        "scores": args.scores, "repetitions": args.repetitions, "runs": args.runs,
        "ms_per_chart_median": round(statistics.median(per_chart_ms), 3),
        "ms_per_chart_best": round(min(per_chart_ms), 3),
        "ms_per_chart_worst": round(max(per_chart_ms), 3),
        "cpu_ms_per_chart_median": round(statistics.median(cpu_ms), 3),
        "output_chars": size, "load_average_1m": round(load, 2),
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "target_ms": 50,
    }, indent=2) + "\n")


if __name__ == "__main__":
    main()
