"""Clock-driven jobs: due ones run once per interval, a failure is recorded without
stopping the others, and every app's jobs are found."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from therapia.core import clock_jobs
from therapia.core.models import PeriodicRun

pytestmark = pytest.mark.django_db


def test_a_due_job_runs_once_per_interval() -> None:
    calls: list[int] = []
    job = clock_jobs.Job("test.count", dt.timedelta(minutes=5), lambda: calls.append(1))
    now = timezone.now()
    assert clock_jobs.run_due(now, [job]) == ["test.count"]
    assert clock_jobs.run_due(now + dt.timedelta(minutes=4), [job]) == []
    assert clock_jobs.run_due(now + dt.timedelta(minutes=5), [job]) == ["test.count"]
    assert len(calls) == 2


def test_a_failing_job_is_recorded_and_the_others_still_run() -> None:
    calls: list[int] = []

    def broken() -> None:
        raise ValueError("nothing about any client")

    jobs = [clock_jobs.Job("test.broken", dt.timedelta(minutes=1), broken),
            clock_jobs.Job("test.fine", dt.timedelta(minutes=1), lambda: calls.append(1))]
    assert clock_jobs.run_due(timezone.now(), jobs) == ["test.broken", "test.fine"]
    assert calls == [1]
    assert PeriodicRun.objects.get(name="test.broken").last_error.startswith("ValueError")
    assert PeriodicRun.objects.get(name="test.fine").last_error == ""


def test_every_apps_jobs_are_found_and_the_command_runs_them(capsys) -> None:  # type: ignore[no-untyped-def]
    names = {job.name for job in clock_jobs.all_jobs()}
    assert {"scheduling.reminders", "scheduling.series_extend", "records.lock_signed_notes",
            "records.plan_review_reminders", "measures.questionnaires",
            "measures.alert_escalation"} <= names
    call_command("periodic")
    assert "scheduling.reminders" in capsys.readouterr().out
    assert PeriodicRun.objects.filter(name="scheduling.reminders",
                                      last_finished_at__isnull=False).exists()
