"""The `therapia` command: the demo, the test suite, and the operator's tools.

    therapia demo            migrate, seed an empty database, serve the demo practice
    therapia test [ARGS]     ruff, mypy and pytest (ARGS go to pytest)
    therapia demo-code       the current two-factor code for the demo accounts
    therapia manage ARGS     any Django management command (migrate, seed, ...)
    therapia audit ...       the audit trail: verify, checkpoint, access report
    therapia keys ...        encryption keys: status, rotate, shred
    therapia score ...       score one questionnaire (no database needed)
    therapia outcomes ...    reliable and clinically significant change for a CSV (no database)
"""

from __future__ import annotations

import argparse
import importlib
import os
import secrets
import sys
import time
from pathlib import Path

from therapia import dbserver

ROOT = dbserver.ROOT
# Operator tools that are Django management commands of the same name.
TOOLS = ("audit", "keys")
# Pure tools: no database, no Django; each module has main(argv) -> exit code.
PURE_TOOLS = {"score": "therapia.measures.score_cli", "outcomes": "therapia.measures.outcomes_cli"}
BIN = Path(sys.executable).parent


def say(message: str) -> None:
    sys.stderr.write(f"[therapia] {message}\n")


def ensure_secret_key() -> None:
    """Without SECRET_KEY(_FILE), a random key in the data directory, readable by us only."""
    if os.environ.get("SECRET_KEY") or os.environ.get("SECRET_KEY_FILE"):
        return
    key_file = dbserver.data_dir() / "secret_key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    key_file.chmod(0o600)


def prepare_environment() -> None:
    """A secret key and a database, whatever machine we are on."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "therapia.settings")
    os.environ.setdefault("THERAPIA_EMBEDDED_DB", "allow")
    os.environ.setdefault("THERAPIA_DB_SCOPE", "system")  # commands and jobs see every practice
    ensure_secret_key()
    if os.environ.get("DATABASE_URL"):
        dbserver.provision_external()
    elif not os.environ.get("DATABASE_APP_URL"):
        say(f"starting the embedded PostgreSQL in {dbserver.data_dir() / 'pgdata'}")
    dbserver.ensure_environment()


def django_command(*args: str) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command(*args)


def run_tests(extra: list[str]) -> int:
    from therapia import test_runner

    return test_runner.run(extra)


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    parser = argparse.ArgumentParser(prog="therapia", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the demo practice")
    demo.add_argument("--port", type=int, default=None, help="default: THERAPIA_PORT or 8000")
    sub.add_parser("test", help="run the whole test suite", add_help=False)
    sub.add_parser("demo-code", help="print the current two-factor code of the demo accounts")
    sub.add_parser("manage", help="run a Django management command", add_help=False)
    for tool in (*TOOLS, *PURE_TOOLS):
        sub.add_parser(tool, help=f"see `therapia {tool} --help`", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command in PURE_TOOLS:
        module = importlib.import_module(PURE_TOOLS[args.command])
        return int(module.main(rest))

    prepare_environment()
    if args.command == "test":
        return run_tests(rest)
    if args.command in ("manage", *TOOLS):
        from django.core.management import execute_from_command_line

        command = [] if args.command == "manage" else [args.command]
        execute_from_command_line(["therapia", *command, *rest])
        return 0
    if args.command == "demo-code":
        django_command("demo_code")
        return 0
    from therapia import demo as demo_runner

    return demo_runner.run(port=args.port or demo_port(), started=started)


def demo_port() -> int:
    value = os.environ.get("THERAPIA_PORT", "8000")
    if not value.isdigit() or not 0 < int(value) < 65536:
        sys.exit(f"THERAPIA_PORT={value!r}: use a port number between 1 and 65535")
    return int(value)


if __name__ == "__main__":
    raise SystemExit(main())
