"""How many questionnaires per second one Python process scores.

    .venv/bin/python benchmarks/scoring.py                      # 200,000 per workload, 5 runs
    .venv/bin/python benchmarks/scoring.py --questionnaires 500000 --runs 7

Two workloads, each a list of questionnaires generated before timing (seeded, so every run
scores the same answers):

  phq9  complete PHQ-9s (9 items), about one in three with item 9 above 0 (a risk flag);
  mix   the 14 built-in instruments in equal shares with random valid answers, one in five
        with one item left blank (prorated for CORE-10 and SDQ, no total elsewhere).

Each run calls therapia.measures.scoring.score(instrument_id, answers) for every
questionnaire, in one thread, and builds the full frozen result (total, band, subscales,
risk flags, cut-offs). It reports questionnaires per second of wall-clock time for the
median, best and worst run; questionnaires per CPU second of this process (what one core
does when the machine is shared); and the 1-minute load average before the runs. No
database, no Django.
Target: over 100,000 questionnaires per second. JSON on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
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

from therapia.measures import library, scoring  # noqa: E402 (after the path is set)

Questionnaire = tuple[str, list[Any]]


def say(message: str) -> None:
    sys.stderr.write(f"[benchmark] {message}\n")


def valid_answers(instrument_id: str, rng: random.Random) -> list[Any]:
    definition = library.get(instrument_id)
    answers: list[Any] = []
    for item in definition.items:
        scale = definition.response_scales[item.scale]
        if scale.kind == "options":
            answers.append(rng.choice(scale.options).value)
        else:
            answers.append(round(rng.uniform(scale.low, scale.high), scale.decimals))
    return answers


def phq9_workload(count: int, rng: random.Random) -> list[Questionnaire]:
    return [("phq9", [rng.randint(0, 3) for _ in range(8)] + [rng.choice((0, 0, 1, 2))])
            for _ in range(count)]


def mix_workload(count: int, rng: random.Random) -> list[Questionnaire]:
    ids = sorted(library.definitions())
    workload = []
    for n in range(count):
        instrument_id = ids[n % len(ids)]
        answers = valid_answers(instrument_id, rng)
        if rng.random() < 0.2:
            answers[rng.randrange(len(answers))] = None
        workload.append((instrument_id, answers))
    rng.shuffle(workload)
    return workload


def time_run(workload: list[Questionnaire]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for scoring the whole workload."""
    score = scoring.score
    wall, cpu = time.perf_counter(), time.process_time()
    for instrument_id, answers in workload:
        score(instrument_id, answers)
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(name: str, workload: list[Questionnaire], runs: int) -> dict[str, Any]:
    time_run(workload[: min(len(workload), 10_000)])  # warm-up: compile scorers, caches
    load = os.getloadavg()[0]
    timings = [time_run(workload) for _ in range(runs)]
    wall = sorted(len(workload) / w for w, _ in timings)
    cpu = sorted(len(workload) / c for _, c in timings)
    say(f"{name}: median {statistics.median(wall):,.0f} questionnaires/s wall clock, "
        f"{statistics.median(cpu):,.0f} per CPU second")
    return {"questionnaires": len(workload), "runs": runs,
            "median_per_second": round(statistics.median(wall)),
            "best_per_second": round(wall[-1]), "worst_per_second": round(wall[0]),
            "median_per_cpu_second": round(statistics.median(cpu)),
            "median_microseconds_cpu_each": round(1e6 / statistics.median(cpu), 2),
            "load_average_1min_before": round(load, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questionnaires", type=int, default=200_000,
                        help="per workload")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261121)
    args = parser.parse_args()
    rng = random.Random(args.seed)  # noqa: S311 (reproducible test data, not secrets)
    say(f"generating {args.questionnaires:,} questionnaires per workload")
    workloads = {"phq9": phq9_workload(args.questionnaires, rng),
                 "mix": mix_workload(args.questionnaires, rng)}
    results = {name: measure(name, workload, args.runs) for name, workload in workloads.items()}
    report = {
        "benchmark": "scoring",
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpus": os.cpu_count(),
        "target_per_second": 100_000,
        "workloads": results,
        "instruments_in_mix": sorted(library.definitions()),
    }
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
