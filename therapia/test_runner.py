"""`therapia test`: the quality gates CI runs — ruff, mypy, then pytest on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from therapia import dbserver
from therapia.browser import find_chromium

BIN = Path(sys.executable).parent


def _step(name: str, command: list[str], env: dict[str, str] | None = None) -> int:
    sys.stderr.write(f"[therapia] {name}: {' '.join(command)}\n")
    return subprocess.run(command, cwd=dbserver.ROOT, env=env, check=False).returncode  # noqa: S603


def run(pytest_args: list[str]) -> int:
    if find_chromium() is None:
        if os.environ.get("CI") == "true":
            sys.stderr.write("[therapia] CI=true and no Chromium: browser tests cannot run.\n")
            return 1
        sys.stderr.write(
            "\n[therapia] !!! NO CHROMIUM FOUND: THE BROWSER TESTS WILL BE SKIPPED !!!\n"
            "[therapia] Install Debian's 'chromium' (or set THERAPIA_CHROMIUM) to run them.\n\n"
        )
    if not pytest_args:  # the whole suite: lint and types first
        for name, command in (
            ("lint", [str(BIN / "ruff"), "check", "."]),
            ("types", [str(BIN / "mypy"), "therapia"]),
        ):
            if _step(name, command) != 0:
                return 1
    # The test settings, whatever the environment says (the `therapia` command sets the
    # production module for itself).
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "therapia.settings_test"}
    return _step("tests", [str(BIN / "pytest"), *pytest_args], env=env)
