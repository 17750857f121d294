"""What encryption and auditing add to a client's pages after two years of weekly sessions.

    .venv/bin/python benchmarks/overview_overhead.py               # 104 sessions, 30 rounds
    .venv/bin/python benchmarks/overview_overhead.py --sessions 52 --rounds 50 --no-measures

Target (confidentiality issue): encryption and auditing add less than 10% to the server
time of a client overview page with two years of weekly sessions.

The script builds a scratch database (cloned from the test suite's migrated template,
dropped at the end) and, through the real services, gives client Dana (primary clinician
Alice):

  a referral and an episode of care          clients.services.referral_register,
                                             episode_transition (assessment, in treatment)
  N weekly individual treatment sessions     scheduling.services.appointment_book and
  over the last two years, all attended      attendance_record, each given an explicit
                                             `now` (the clock those services take), since
                                             booking refuses a start in the past
  a signed SOAP progress note for each       records.note_services.progress_note_create,
  (about 1,000 characters of text)           progress_note_sign
  a PHQ-9 at each session (optional)         measures.administrations.administration_enter_paper

Then, signed in as Alice, it requests each page in-process through Django's WSGI handler
(middleware, queries, audit rows, decryption, templates): the client overview, the
episode timeline, the progress-notes list and one signed note. Each page is requested once
to warm up, then --rounds times; the report gives the median of each measure.

While measuring, the script wraps (instrumentation only: the wrapped function is called
with the same arguments and its result or exception passed on) the audit append
therapia.audit.services._append, which audit_record calls through the module global, and
the encryption entry points therapia.security.crypto.envelope.encrypt_text /
decrypt_text / _aead and the package-level therapia.security.crypto.encrypt_text /
decrypt_text. Only the outermost instrumented call is timed, so a decrypt_text calling
_aead is counted once. The originals are put back afterwards.

  page_ms      wall-clock server time of the request
  cpu_ms       CPU time of this process during the request (excludes PostgreSQL's work)
  audit_ms     time inside the audit append (advisory lock, chain head, MAC, INSERT)
  crypto_ms    time inside encryption (data-key query and unwrap, AES-GCM)
  overhead_percent = (audit + crypto) / (page - audit - crypto) x 100, the median of
               each round's own ratio (overhead_percent_of_medians: from the medians of
               the parts; cpu_overhead_percent: the same with this process's CPU time)

JSON on stdout, progress on stderr, with the 1-minute load average before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "therapia.settings_test")
os.environ.setdefault("THERAPIA_EMBEDDED_DB", "allow")

SUBJECTIVE = [
    "Reported a difficult week at work with two days of low mood and poor sleep.",
    "Said the argument with her sister had stayed with her and she kept replaying it.",
    "Described using the breathing exercise twice when she felt panic rising on the bus.",
    "Felt more able to say no to extra shifts and noticed less resentment afterwards.",
]
OBJECTIVE = [
    "Appropriately dressed, good eye contact, affect reactive and somewhat flat at first.",
    "Tearful when describing her father's illness; settled over the second half.",
    "Speech normal in rate and volume; thought content focused on work and family.",
]
ASSESSMENT = [
    "Continued gradual progress towards the goal of fewer days lost to low mood.",
    "Behavioural activation remains useful; avoidance of social contact is reducing.",
    "Cognitive restructuring of all-or-nothing thinking practised with a work example.",
    "Ambivalence about the family visit explored; she linked it to earlier losses.",
]
PLAN = [
    "Continue activity scheduling; add one social contact this week.",
    "Thought record for situations at work where she feels criticised.",
    "Review sleep diary next session; consider a referral to the sleep clinic.",
]


def say(message: str) -> None:
    sys.stderr.write(f"[benchmark] {message}\n")


def _fill(pool: list[str], n: int, length: int) -> str:
    parts: list[str] = []
    i = n
    while sum(len(p) + 1 for p in parts) < length:
        parts.append(pool[i % len(pool)])
        i += 1
    return " ".join(parts)


def soap_sections(n: int) -> dict[str, str]:
    """About 1,000 characters of clinical text, spread over the SOAP sections."""
    return {
        "subjective": f"Session {n + 1}. " + _fill(SUBJECTIVE, n, 280),
        "objective": _fill(OBJECTIVE, n, 180),
        "assessment": _fill(ASSESSMENT, n, 280),
        "risk": "No risk issues. Denied thoughts of self-harm; protective factors unchanged.",
        "plan": _fill(PLAN, n, 160),
    }


# --- instrumentation --------------------------------------------------------------------

@dataclass
class Meter:
    """Time spent inside instrumented calls, by category; nested calls counted once."""

    totals: dict[str, float] = field(default_factory=lambda: {"audit": 0.0, "crypto": 0.0})
    cpu: dict[str, float] = field(default_factory=lambda: {"audit": 0.0, "crypto": 0.0})
    calls: dict[str, int] = field(default_factory=lambda: {"audit": 0, "crypto": 0})
    depth: int = 0

    def reset(self) -> None:
        for name in self.totals:
            self.totals[name] = self.cpu[name] = 0.0
            self.calls[name] = 0

    def wrap(self, category: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.depth:
                return function(*args, **kwargs)  # already inside a timed call
            self.depth += 1
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.totals[category] += time.perf_counter() - started
                self.cpu[category] += time.process_time() - cpu
                self.calls[category] += 1
                self.depth -= 1

        return timed


@contextmanager
def instrumented(meter: Meter) -> Iterator[None]:
    from therapia.audit import services as audit_services
    from therapia.security import crypto
    from therapia.security.crypto import envelope

    targets: list[tuple[Any, str, str]] = [
        (audit_services, "_append", "audit"),
        (envelope, "encrypt_text", "crypto"),
        (envelope, "decrypt_text", "crypto"),
        (envelope, "_aead", "crypto"),
        (crypto, "encrypt_text", "crypto"),
        (crypto, "decrypt_text", "crypto"),
    ]
    originals = [(module, name, getattr(module, name)) for module, name, _ in targets]
    try:
        for module, name, category in targets:
            setattr(module, name, meter.wrap(category, getattr(module, name)))
        yield
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


# --- data -------------------------------------------------------------------------------

@dataclass
class Built:
    sessions: int
    notes: int
    administrations: int
    note_public_id: Any
    measures_skipped: str = ""
    booked_with_explicit_clock: bool = True
    seconds: float = 0.0


def build(personas: Any, count: int, with_measures: bool) -> Built:
    from django.utils import timezone

    from therapia.clients import services as client_services
    from therapia.clients.models import Episode, ReferralSource
    from therapia.records import note_services
    from therapia.records.note_templates import Template
    from therapia.scheduling import services as scheduling
    from therapia.scheduling.models import Format, Purpose, SessionKind, Status

    started = time.perf_counter()
    alice = personas.actor("owner")
    dana = personas.dana
    zone = scheduling.zone_of(alice.practice.time_zone)
    today = timezone.localdate()
    first_day = today - dt.timedelta(weeks=count, days=-3)  # the last one 4 days ago
    received = first_day - dt.timedelta(days=28)
    sources = [value for value, _ in ReferralSource.choices]
    client_services.referral_register(actor=alice, client=dana, source=sources[0],
                                      received_on=received,
                                      reason="Low mood and anxiety for a year.")
    episode = Episode.objects.get(client=dana)
    client_services.episode_transition(actor=alice, episode=episode, to="assessment",
                                       on=received + dt.timedelta(days=14))
    episode = client_services.episode_transition(actor=alice, episode=episode,
                                                 to="in_treatment", on=first_day)

    administer: Callable[..., Any] | None = None
    skipped = ""
    if with_measures:
        try:
            from therapia.measures.administrations import administration_enter_paper
            administer = administration_enter_paper
        except Exception as error:  # noqa: BLE001 (optional part: say why and go on)
            skipped = f"{type(error).__name__}: {error}"

    note_id = None
    notes = administrations = 0
    say(f"booking {count} weekly sessions with notes"
        f"{' and PHQ-9s' if administer else ''} (this takes a while)")
    for n in range(count):
        day = first_day + dt.timedelta(weeks=n)
        starts = dt.datetime.combine(day, dt.time(10, 0), tzinfo=zone)
        booking = scheduling.Booking(
            kind=SessionKind.INDIVIDUAL, purpose=Purpose.TREATMENT, format=Format.PHONE,
            starts_at=starts, ends_at=starts + dt.timedelta(minutes=50),
            clinicians=[alice.membership], clients=[dana], episode=episode)
        appointment = scheduling.appointment_book(
            actor=alice, booking=booking, now=starts - dt.timedelta(days=6))
        scheduling.attendance_record(actor=alice, appointment=appointment,
                                     status=Status.ATTENDED,
                                     now=starts + dt.timedelta(minutes=55))
        note = note_services.progress_note_create(
            actor=alice, client=dana, template=Template.SOAP, sections=soap_sections(n),
            appointment=appointment)
        note = note_services.progress_note_sign(actor=alice, note=note,
                                                seen_revision=note.revision)
        notes += 1
        note_id = note.public_id
        if administer is not None:
            items = [(n + i) % 3 for i in range(8)] + [0]  # item 9 (risk) always 0
            try:
                administer(actor=alice, episode=episode, instrument="phq9", items=items,
                           appointment=appointment, now=starts + dt.timedelta(minutes=5))
                administrations += 1
            except Exception as error:  # noqa: BLE001 (optional part: say why and go on)
                skipped = f"{type(error).__name__}: {error}"
                say(f"PHQ-9s skipped: {skipped}")
                administer = None
        if (n + 1) % 26 == 0:
            say(f"  {n + 1} sessions")
    return Built(sessions=count, notes=notes, administrations=administrations,
                 note_public_id=note_id, measures_skipped=skipped,
                 seconds=round(time.perf_counter() - started, 1))


# --- measuring --------------------------------------------------------------------------

def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def measure_page(http: Any, url: str, rounds: int, meter: Meter) -> dict[str, Any]:
    def once() -> tuple[float, float, float, float, float, float]:
        meter.reset()
        wall, cpu = time.perf_counter(), time.process_time()
        response = http.get(url)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        return (wall * 1000, cpu * 1000, meter.totals["audit"] * 1000,
                meter.totals["crypto"] * 1000, meter.cpu["audit"] * 1000,
                meter.cpu["crypto"] * 1000)

    once()  # warm-up
    calls = dict(meter.calls)
    rows = [once() for _ in range(rounds)]
    page, cpu, audit, crypto, audit_cpu, crypto_cpu = ([row[i] for row in rows]
                                                       for i in range(6))
    ratios = [100 * (a + c) / (p - a - c) for p, a, c in zip(page, audit, crypto, strict=True)]
    page_ms, audit_ms, crypto_ms = _median(page), _median(audit), _median(crypto)
    ordered = sorted(page)
    return {
        "page_ms": page_ms,
        "page_ms_min": round(ordered[0], 3),
        "page_ms_p90": round(ordered[int(0.9 * (len(ordered) - 1))], 3),
        "cpu_ms": _median(cpu),
        "audit_ms": audit_ms,
        "crypto_ms": crypto_ms,
        "audit_cpu_ms": _median(audit_cpu),
        "crypto_cpu_ms": _median(crypto_cpu),
        "cpu_overhead_percent": round(statistics.median(
            100 * (a + c) / (p - a - c)
            for p, a, c in zip(cpu, audit_cpu, crypto_cpu, strict=True)), 2),
        "audit_calls": calls["audit"],
        "crypto_calls": calls["crypto"],
        "overhead_percent": round(statistics.median(ratios), 2),
        "overhead_percent_of_medians": round(
            100 * (audit_ms + crypto_ms) / (page_ms - audit_ms - crypto_ms), 2),
    }


class _RolledBack(Exception):
    pass


def audit_breakdown(personas: Any, rounds: int) -> dict[str, float]:
    """Where an audit append's time goes: one row in its own transaction (as on a page
    that writes nothing else: the COMMIT waits for the WAL flush), the same rolled back
    (no flush), and one SELECT 1 round trip to the database."""
    from django.db import connection, transaction

    from therapia.audit.models import Action, Purpose
    from therapia.audit.services import audit_record

    alice, dana = personas.actor("owner"), personas.dana

    def append() -> None:
        audit_record(actor=alice, action=Action.READ, purpose=Purpose.TREATMENT, obj=dana,
                     client=dana, fields=["benchmark"])

    def rolled_back() -> None:
        try:
            with transaction.atomic():
                append()
                raise _RolledBack
        except _RolledBack:
            pass

    def round_trip() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    def median_of(run: Callable[[], None]) -> float:
        run()
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
        return _median(times)

    return {"append_committed_ms": median_of(append),
            "append_rolled_back_ms": median_of(rolled_back),
            "select_1_round_trip_ms": median_of(round_trip)}


def measure(count: int, rounds: int, with_measures: bool) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from therapia.core.testing import make_personas, sign_in

    load_before = os.getloadavg()[0]
    personas = make_personas()
    built = build(personas, count, with_measures)
    say(f"data built in {built.seconds} s")
    dana = personas.dana.public_id
    pages = {
        "overview": reverse("clients:overview", args=[dana]),
        "timeline": reverse("clients:timeline", args=[dana]),
        "notes": reverse("records:notes", args=[dana]),
        "note": reverse("records:note", args=[built.note_public_id]),
    }
    http = sign_in(HttpClient(), personas.owner.user)
    meter = Meter()
    results: dict[str, Any] = {}
    with instrumented(meter):
        for name, url in pages.items():
            say(f"measuring {name}, {rounds} rounds")
            results[name] = measure_page(http, url, rounds, meter)
            with CaptureQueriesContext(connection) as queries:
                http.get(url)
            results[name]["queries"] = len(queries)
    say("measuring the audit append alone")
    breakdown = audit_breakdown(personas, rounds)
    return {
        "target": "audit + crypto < 10% of the rest of the server time",
        "data": {"sessions": built.sessions, "signed_notes": built.notes,
                 "phq9_administrations": built.administrations,
                 "phq9_skipped_because": built.measures_skipped or None,
                 "note_chars": round(statistics.mean(
                     sum(map(len, soap_sections(n).values())) for n in range(count))),
                 "sessions_booked_through_service_with_explicit_now": True,
                 "build_seconds": built.seconds},
        "rounds": rounds,
        "pages": results,
        "audit_append": breakdown,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "load_average_1min": {"before": round(load_before, 2),
                              "after": round(os.getloadavg()[0], 2)},
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=104)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--no-measures", action="store_true",
                        help="skip the PHQ-9 administrations")
    args = parser.parse_args()

    from therapia.cli import ensure_secret_key

    ensure_secret_key()
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    from therapia.core import testdb  # the test suite's migrated template database

    setup_test_environment()
    say(f"template database {testdb.template_database()} (built now if missing)")
    with testdb.scratch_database("bench_overview"):
        result = measure(args.sessions, args.rounds, not args.no_measures)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
