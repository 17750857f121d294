"""Seed the demo practice into an empty database; with any practice present, do nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from therapia.accounts.models import Practice
from therapia.seeding.calendar import local_today
from therapia.seeding.demo_accounts import DEMO_CLIENTS, DEMO_SEED, DEMO_TIME_ZONE
from therapia.seeding.practice import seed_practice


class Command(BaseCommand):
    help = f"Seed the demo practice ({DEMO_CLIENTS} clients, seed {DEMO_SEED}) if none exists."

    def handle(self, *args: Any, **options: Any) -> None:
        if Practice.objects.exists():
            return
        result = seed_practice(clients=DEMO_CLIENTS, seed=DEMO_SEED,
                               today=local_today(DEMO_TIME_ZONE))
        self.stdout.write(result.summary())
