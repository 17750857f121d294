"""Enqueue the measures app's recurring work: questionnaires due under measurement plans,
and the escalation of unacknowledged risk alerts. Run every few minutes (cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from therapia.measures.tasks import escalate_overdue_alerts, send_due_questionnaires


class Command(BaseCommand):
    help = "Enqueue due questionnaires and risk-alert escalation."

    def handle(self, *args: Any, **options: Any) -> None:
        send_due_questionnaires.enqueue()
        escalate_overdue_alerts.enqueue()
        self.stdout.write("Enqueued due questionnaires and risk-alert escalation.")
