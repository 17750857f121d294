"""`manage.py seed --clients N --seed S`: build a synthetic practice (see therapia/seeding)."""

from __future__ import annotations

import datetime as dt
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from therapia.accounts.models import Practice, User
from therapia.seeding.calendar import local_today
from therapia.seeding.demo_accounts import (
    DEMO_CLIENTS,
    DEMO_DOMAIN,
    DEMO_PRACTICE_NAME,
    DEMO_SEED,
    DEMO_TIME_ZONE,
)
from therapia.seeding.people import staff_domain
from therapia.seeding.practice import MIN_CLIENTS, seed_practice


class Command(BaseCommand):
    help = ("Build a synthetic practice: staff, clients and six months of sessions. "
            "The same --clients, --seed and --today always build the same practice.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--clients", type=int, default=DEMO_CLIENTS,
                            help=f"how many clients (at least {MIN_CLIENTS})")
        parser.add_argument("--seed", type=int, default=DEMO_SEED, help="the random seed")
        parser.add_argument("--practice-name", default=DEMO_PRACTICE_NAME)
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                            help="YYYY-MM-DD the history leads up to (default: today in "
                                 f"{DEMO_TIME_ZONE})")

    def handle(self, *args: Any, **options: Any) -> None:
        name: str = options["practice_name"]
        count: int = options["clients"]
        if count < MIN_CLIENTS:
            raise CommandError(f"--clients must be at least {MIN_CLIENTS}.")
        if Practice.objects.filter(name=name).exists():
            raise CommandError(f"A practice named {name!r} exists already; "
                               "pass another --practice-name.")
        domain = staff_domain(name, DEMO_PRACTICE_NAME, DEMO_DOMAIN)
        if User.objects.filter(email__endswith=f"@{domain}").exists():
            raise CommandError(f"Staff accounts @{domain} exist already; "
                               "pass another --practice-name.")
        today: dt.date = options["today"] or local_today(DEMO_TIME_ZONE)
        started = time.perf_counter()
        result = seed_practice(clients=count, seed=options["seed"], today=today,
                               practice_name=name)
        elapsed = time.perf_counter() - started
        self.stdout.write(f"{result.summary()} Took {elapsed:.1f} s.")
