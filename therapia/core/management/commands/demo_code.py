"""`therapia demo-code`: the two-factor code the demo accounts accept right now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from therapia.seeding.demo_accounts import current_code


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo accounts and how long it lasts."

    def handle(self, *args: Any, **options: Any) -> None:
        now = current_code()
        self.stdout.write(f"Demo two-factor code: {now.code} "
                          f"(valid for {now.seconds_left} more seconds)")
