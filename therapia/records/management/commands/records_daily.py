"""Enqueue the records app's daily work: plan review reminders and locking signed notes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from therapia.records.tasks import lock_signed_notes, send_plan_review_reminders


class Command(BaseCommand):
    help = "Enqueue treatment-plan review reminders and the locking of signed notes."

    def handle(self, *args: Any, **options: Any) -> None:
        send_plan_review_reminders.enqueue()
        lock_signed_notes.enqueue()
        self.stdout.write("Enqueued plan review reminders and note locking.")
