"""Jobs that run on a clock: reminders before sessions, questionnaires before sessions,
alert escalation, moving recurring series on. Each app lists its jobs in
`<app>/periodic.py` as `JOBS: tuple[Job, ...]`.

`therapia manage periodic` runs every job that is due, once, and exits: run it every
minute from a systemd timer or cron (docs/deployment.md); the demo runs it in a thread.
A job is due when its interval has passed since it last started. Each job runs in its own
transaction with its row locked (SKIP LOCKED), so overlapping runners never run one job
twice, and a failing job is recorded and retried at its next interval without stopping
the others. Errors are logged by job name and exception type only (no client data).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from therapia.audit.context import Origin, origin
from therapia.core.discovery import app_modules
from therapia.core.models import PeriodicRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    run: Callable[[], object]


def all_jobs() -> list[Job]:
    return [job for module in app_modules("periodic") for job in module.JOBS]


def run_due(now: dt.datetime | None = None, jobs: list[Job] | None = None) -> list[str]:
    """Run each job that is due; the names of those that ran."""
    moment = now or timezone.now()
    return [job.name for job in (all_jobs() if jobs is None else jobs)
            if _run_if_due(job, moment)]


def _run_if_due(job: Job, now: dt.datetime) -> bool:
    PeriodicRun.objects.get_or_create(name=job.name)
    with transaction.atomic():
        row = (PeriodicRun.objects.select_for_update(skip_locked=True)
               .filter(name=job.name).first())
        if row is None or (row.last_started_at and now - row.last_started_at < job.every):
            return False
        row.last_started_at = now
        try:
            with transaction.atomic(), origin(Origin(job=job.name)):
                job.run()
        except Exception as error:  # noqa: BLE001 (one failing job must not stop the rest)
            row.last_error = f"{type(error).__name__} at {now:%Y-%m-%d %H:%M}"[:200]
            log.warning("periodic job %s failed: %s", job.name, type(error).__name__)
        else:
            row.last_error = ""
        row.last_finished_at = timezone.now()
        row.save()
    return True


def start_thread(every_seconds: int = 60) -> Callable[[], None]:
    """The demo's runner: `run_due` every minute in a daemon thread; call the result to stop."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every_seconds):
            try:
                run_due()
            except Exception as error:  # noqa: BLE001 (keep the demo's clock going)
                log.warning("periodic runner: %s", type(error).__name__)

    thread = threading.Thread(target=loop, name="periodic-jobs", daemon=True)
    thread.start()
    return stop.set
