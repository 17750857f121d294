"""Run every clock-driven job that is due, once (therapia/core/clock_jobs.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from therapia.core import clock_jobs


class Command(BaseCommand):
    help = "Run the clock-driven jobs that are due (reminders, escalations, series)."

    def handle(self, *args: Any, **options: Any) -> None:
        ran = clock_jobs.run_due()
        self.stdout.write(f"ran: {', '.join(ran) or 'nothing due'}")
