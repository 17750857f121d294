"""The practice week view of a busy practice: 30 clinicians, 900 sessions in one week.

    .venv/bin/python benchmarks/week_view.py                  # 30 clinicians, 900 sessions
    .venv/bin/python benchmarks/week_view.py --sessions 1800 --rounds 30

Builds a scratch database (a clone of the test suite's migrated template, dropped at the
end) with the personas' practice, 30 clinicians, as many rooms, one client per session,
and the sessions spread over Monday to Friday of one week (six a day per clinician, each
in a room). It then measures, as the median of --rounds runs after a warm-up, the server
time of GET /agenda/calendar/?scope=practice&by=rooms (and by=clinicians) for the front
desk, in-process through Django's WSGI handler (middleware, queries, audit row, template),
and counts the queries, also for a tenth of the sessions: the count must not grow.
Target: under 150 ms. JSON on stdout, progress on stderr.
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
import zoneinfo
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "therapia.settings_test")
os.environ.setdefault("THERAPIA_EMBEDDED_DB", "allow")

WEEK = dt.date(2030, 3, 4)  # a Monday, far from any test data
HOURS = (9, 10, 11, 14, 15, 16)


def say(message: str) -> None:
    sys.stderr.write(f"[benchmark] {message}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clinicians", type=int, default=30)
    parser.add_argument("--sessions", type=int, default=900)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    from therapia.cli import ensure_secret_key

    ensure_secret_key()
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    from therapia.core import testdb

    setup_test_environment()
    say(f"template database {testdb.template_database()} (built now if missing)")
    with testdb.scratch_database("bench_week_view"):
        result = measure(args.clinicians, args.sessions, args.rounds)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


def build(personas: Any, clinicians: int, sessions: int, tag: str) -> None:
    from therapia.accounts.models import Role
    from therapia.core import factories
    from therapia.scheduling.models import Appointment, Room
    from therapia.scheduling.services import sync_slots

    practice = personas.practice
    zone = zoneinfo.ZoneInfo(practice.time_zone)
    staff = [factories.MembershipFactory.create(
        practice=practice, role=Role.CLINICIAN,
        user=factories.UserFactory.create(email=f"{tag}{n}@bench.example",
                                          display_name=f"Clinician {n:02d}"))
        for n in range(clinicians)]
    rooms = Room.objects.bulk_create(Room(practice=practice, name=f"{tag} room {n:02d}")
                                     for n in range(clinicians))
    clients = factories.ClientFactory.create_batch(sessions, practice=practice)
    slots = [(day, hour) for day in range(5) for hour in HOURS]
    rows, links = [], []
    for number in range(sessions):
        who, (day, hour) = number % clinicians, slots[(number // clinicians) % len(slots)]
        starts = dt.datetime.combine(WEEK + dt.timedelta(days=day), dt.time(hour), tzinfo=zone)
        rows.append(Appointment(practice=practice, kind="individual", starts_at=starts,
                                ends_at=starts + dt.timedelta(minutes=50), room=rooms[who]))
        links.append((staff[who], clients[number]))
    made = Appointment.objects.bulk_create(rows)
    Appointment.clinicians.through.objects.bulk_create(
        Appointment.clinicians.through(appointment_id=a.pk, membership_id=m.pk)
        for a, (m, _) in zip(made, links, strict=True))
    Appointment.clients.through.objects.bulk_create(
        Appointment.clients.through(appointment_id=a.pk, client_id=c.pk)
        for a, (_, c) in zip(made, links, strict=True))
    sync_slots([a.pk for a in made])  # the exclusion constraint agrees: no double booking


def measure(clinicians: int, sessions: int, rounds: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from therapia.accounts.models import Membership
    from therapia.core.testing import make_personas, sign_in
    from therapia.scheduling.models import Appointment, Room

    load_before = os.getloadavg()[0]
    personas = make_personas()
    http = sign_in(HttpClient(), personas.front_desk.user)
    base = reverse("scheduling:calendar") + f"?scope=practice&date={WEEK:%Y-%m-%d}&by="

    def queries(by: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = http.get(base + by)
        if response.status_code != 200:
            raise RuntimeError(f"page answered {response.status_code}")
        return len(captured.captured_queries)

    small = max(sessions // 10, 1)
    say(f"building {small} sessions")
    build(personas, clinicians, small, "few")
    few = {by: queries(by) for by in ("rooms", "clinicians")}
    Appointment.objects.all().delete()
    Room.objects.all().delete()
    Membership.objects.filter(user__email__endswith="@bench.example").update(is_active=False)
    say(f"building {sessions} sessions for {clinicians} clinicians")
    build(personas, clinicians, sessions, "many")
    many = {by: queries(by) for by in ("rooms", "clinicians")}
    body = http.get(base + "rooms").content.decode()
    if body.count("cal-item") != sessions:
        raise RuntimeError(f"expected {sessions} sessions on the page")
    timings: dict[str, dict[str, float]] = {}
    for by in ("rooms", "clinicians"):
        http.get(base + by)  # warm-up
        runs, cpu = [], []
        for _ in range(rounds):
            started, started_cpu = time.perf_counter(), time.process_time()
            http.get(base + by)
            runs.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        timings[by] = {"median_ms": round(statistics.median(runs), 1),
                       "median_cpu_ms": round(statistics.median(cpu), 1),
                       "best_ms": round(min(runs), 1), "worst_ms": round(max(runs), 1)}
    return {
        "clinicians": clinicians, "sessions": sessions, "rounds": rounds,
        "queries": {"with_" + str(small): few, "with_" + str(sessions): many},
        "server_time": timings, "target_ms": 150,
        "python": platform.python_version(), "cpus": os.cpu_count(),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":
    raise SystemExit(main())
