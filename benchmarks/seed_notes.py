"""What seeding progress notes and treatment plans costs in a 5,000-client practice.

    .venv/bin/python benchmarks/seed_notes.py                 # 5,000 clients
    .venv/bin/python benchmarks/seed_notes.py --clients 1000

In a scratch database (cloned from the test suite's migrated template, dropped at the end)
the script seeds a practice with `therapia.seeding.practice.seed_practice` (which writes notes
for the first FULL_NOTE_CLIENTS clients and plans for everyone in treatment), then removes
the notes and plans and times, each in its own transaction:

  notes_default   seed_progress_notes as the seeder calls it (first FULL_NOTE_CLIENTS);
  notes_all       seed_progress_notes for every client;
  plans           seed_treatment_plans;

and reports rows written and time per note. JSON on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "therapia.settings_test")
os.environ.setdefault("THERAPIA_EMBEDDED_DB", "allow")


def say(message: str) -> None:
    sys.stderr.write(f"[benchmark] {message}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=5000)
    args = parser.parse_args()
    from therapia.cli import ensure_secret_key

    ensure_secret_key()
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    from therapia.core import testdb

    setup_test_environment()
    with testdb.scratch_database("bench_seed_notes"):
        result = measure(args.clients)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


def clear(practice: Any) -> None:
    from therapia.records.models import (
        PlanSignOff,
        ProgressNote,
        ProgressNoteAddendum,
        ProgressNoteVersion,
        TreatmentPlan,
        TreatmentPlanVersion,
    )

    ProgressNoteAddendum.objects.filter(note__practice=practice).delete()
    ProgressNoteVersion.objects.filter(note__practice=practice).delete()
    ProgressNote.objects.filter(practice=practice).delete()
    PlanSignOff.objects.filter(version__plan__practice=practice).delete()
    TreatmentPlanVersion.objects.filter(plan__practice=practice).delete()
    TreatmentPlan.objects.filter(practice=practice).delete()


def measure(clients: int) -> dict[str, Any]:
    import random

    from django.db import transaction

    from therapia.seeding.practice import seed_practice
    from therapia.seeding.progress_notes import seed_progress_notes, seed_treatment_plans

    today = dt.datetime.now(tz=dt.UTC).date()
    load_before = os.getloadavg()[0]
    say(f"seeding {clients} clients")
    started = time.perf_counter()
    practice = seed_practice(clients=clients, seed=9, today=today,
                             practice_name="Bench notes").practice
    whole = time.perf_counter() - started
    result: dict[str, Any] = {"clients": clients, "seed_practice_s": round(whole, 1)}
    for name, full in (("notes_default", None), ("notes_all", clients)):
        with transaction.atomic():
            clear(practice)
        say(f"timing {name}")
        started = time.perf_counter()
        with transaction.atomic():
            kwargs = {} if full is None else {"full_note_clients": full}
            count = seed_progress_notes(practice, rng=random.Random(1),  # noqa: S311
                                        today=today, **kwargs)
        took = time.perf_counter() - started
        result[name] = {"notes": count, "seconds": round(took, 2),
                        "ms_per_note": round(1000 * took / max(count, 1), 3)}
    with transaction.atomic():
        clear(practice)
    started = time.perf_counter()
    with transaction.atomic():
        plans = seed_treatment_plans(practice, rng=random.Random(1),  # noqa: S311
                                     today=today)
    result["plans"] = {"plans": plans, "seconds": round(time.perf_counter() - started, 2)}
    result["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return result


if __name__ == "__main__":
    raise SystemExit(main())
