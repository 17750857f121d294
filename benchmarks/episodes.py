"""Referrals and episodes at the size of a large practice.

    .venv/bin/python benchmarks/episodes.py                      # 5,000 clients, 20 rounds
    .venv/bin/python benchmarks/episodes.py --clients 2000 --rounds 10

Builds a scratch database (cloned from the test suite's migrated template, dropped at the
end), seeds a practice of --clients clients, and reports:

  seed_total      the whole seed (every part), as `therapia manage seed` runs it;
  seed_episodes   the share of it spent writing referrals and episodes (planning,
                  encrypting up to REASONS_CAP reasons, bulk inserts);
  waiting_list    server time of GET /clients/waiting-list/ as the front desk (first page
                  of the practice's whole waiting list), median of --rounds;
  waiting_times   GET /clients/waiting-times/ (the default twelve months) as the owner;
  timeline        GET /clients/<id>/timeline/ as the primary clinician of a client in
                  treatment (every app's contributions included).

JSON on stdout, progress on stderr, with the 1-minute load average before and after.
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


def say(message: str) -> None:
    sys.stderr.write(f"[benchmark] {message}\n")


def median_ms(run: Callable[[], object], rounds: int) -> dict[str, float]:
    run()  # warm-up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 2),
            "p90_ms": round(times[int(0.9 * (len(times) - 1))], 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--skip-link-episodes", action="store_true",
                        help="leave out the scheduling seeder's link_episodes step")
    args = parser.parse_args()

    from therapia.cli import ensure_secret_key

    ensure_secret_key()
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    from therapia.core import testdb

    setup_test_environment()
    say(f"template database {testdb.template_database()} (built now if missing)")
    with testdb.scratch_database("bench_episodes"):
        result = measure(args.clients, args.rounds, skip_link=args.skip_link_episodes)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


def measure(count: int, rounds: int, *, skip_link: bool) -> dict[str, Any]:
    import datetime as dt

    from django.test import Client as HttpClient
    from django.urls import reverse

    from therapia.accounts.models import Membership, Role
    from therapia.clients.models import CareRole, Episode, EpisodeStatus
    from therapia.core.testing import sign_in
    from therapia.seeding import practice as seeding

    load_before = os.getloadavg()[0]
    spent: list[float] = []
    real = seeding.seed_episodes

    def timed(*a: Any, **k: Any) -> Any:  # the benchmark's own stopwatch around one part
        started = time.perf_counter()
        try:
            return real(*a, **k)
        finally:
            spent.append(time.perf_counter() - started)

    seeding.seed_episodes = timed  # type: ignore[assignment]
    link = getattr(seeding, "link_episodes", None)
    if skip_link and link is not None:
        seeding.link_episodes = lambda practice: None  # type: ignore[attr-defined]
    say(f"seeding {count} clients")
    started = time.perf_counter()
    result = seeding.seed_practice(clients=count, seed=9, today=dt.date(2026, 11, 20),
                                   practice_name="Benchmark Practice")
    seed_total = time.perf_counter() - started
    seeding.seed_episodes = real
    if link is not None:
        seeding.link_episodes = link  # type: ignore[attr-defined]
    practice = result.practice
    episodes = Episode.objects.filter(practice=practice)
    statuses = {s: episodes.filter(status=s).count() for s in EpisodeStatus.values}

    desk = Membership.objects.get(practice=practice, role=Role.FRONT_DESK)
    owner = Membership.objects.get(practice=practice, role=Role.OWNER)
    treated = episodes.filter(status=EpisodeStatus.IN_TREATMENT,
                              client__care_team__role=CareRole.PRIMARY,
                              client__care_team__ended_on__isnull=True).select_related(
        "client").first()
    if treated is None:
        raise RuntimeError("no client in treatment was seeded")
    clinician = treated.client.care_team.get(role=CareRole.PRIMARY,
                                             ended_on__isnull=True).membership

    def get(user: Any, url: str) -> Callable[[], None]:
        http = sign_in(HttpClient(), user)

        def run() -> None:
            response = http.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
        return run

    say(f"measuring pages, {rounds} rounds each")
    pages = {
        "waiting_list": median_ms(get(desk.user, reverse("clients:waiting_list")), rounds),
        "waiting_times": median_ms(get(owner.user, reverse("clients:waiting_times")), rounds),
        "timeline": median_ms(get(clinician.user, reverse(
            "clients:timeline", args=[treated.client.public_id])), rounds),
    }
    return {
        "clients": result.clients, "appointments": result.appointments,
        "episodes": episodes.count(), "by_status": statuses,
        "seed_total_s": round(seed_total, 2), "link_episodes_skipped": skip_link,
        "seed_episodes_s": round(sum(spent), 2),
        "pages": pages, "rounds": rounds,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "load_average_1min": {"before": round(load_before, 2),
                              "after": round(os.getloadavg()[0], 2)},
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


if __name__ == "__main__":
    raise SystemExit(main())
