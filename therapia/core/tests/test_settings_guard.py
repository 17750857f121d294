"""Without DATABASE_URL, only an entry point that allows it starts the embedded server."""

from __future__ import annotations

import os
import subprocess
import sys

from therapia import dbserver


def run_settings_import(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = ("import os; os.environ['DJANGO_SETTINGS_MODULE']='therapia.settings'; "
            "import django; django.setup()")
    return subprocess.run([sys.executable, "-c", code], cwd=dbserver.ROOT, env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_web_process_without_database_url_refuses_to_start() -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "DATABASE_APP_URL", "THERAPIA_EMBEDDED_DB")}
    env["SECRET_KEY"] = "x" * 50
    result = run_settings_import(env)
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr
