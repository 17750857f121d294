"""How to sign in to the demo: the address, the accounts, the password and two-factor."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from therapia.accounts.models import User
from therapia.seeding.demo_accounts import (
    DEMO_PASSWORD,
    current_code,
    demo_secret_base32,
    demo_sign_ins,
)


class Command(BaseCommand):
    help = "Print the demo's address, sign-in accounts, password and two-factor secret."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = demo_sign_ins()
        width = max(len(account.email) for account in accounts)
        now = current_code()
        lines = [
            "",
            f"Therapia is running at http://127.0.0.1:{options['port']}/",
            "",
            f"Sign in with any of these demo accounts. Their password is: {DEMO_PASSWORD}",
            "",
            *(f"  {account.email:<{width}}  {account.role} ({account.name})"
              for account in accounts),
            "",
            "Two-factor: every demo account uses the same authenticator secret (demo only).",
            f"  Secret for an authenticator app: {demo_secret_base32()}",
            f"  Code right now: {now.code} (valid for {now.seconds_left} more seconds)",
            "  For a fresh code at any time, run: .venv/bin/therapia demo-code",
            "",
        ]
        if not User.objects.filter(email=accounts[0].email).exists():
            lines.insert(-1, "The demo practice is not in this database yet; seed it with: "
                             ".venv/bin/therapia manage seed_demo_if_empty")
        self.stdout.write("\n".join(lines))
