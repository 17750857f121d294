#!/usr/bin/env python3
"""Bootstrap Therapia on a bare machine: `python3 run.py demo` or `python3 run.py test`.

Needs only Python >= 3.11. Creates .venv, installs the pinned uv, installs the locked
dependencies (uv.lock) and the pinned front-end assets, then hands over to the `therapia`
command inside the virtual environment. Safe to run again: each step is skipped when done.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
UV_VERSION = "0.9.5"  # the lock file was written by this version


def step(message: str) -> None:
    sys.stderr.write(f"[therapia] {message}\n")


def ensure_venv() -> None:
    if not (BIN / "python").exists():
        step("creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not (BIN / "uv").exists():
        step(f"installing uv {UV_VERSION}")
        subprocess.run(
            [BIN / "python", "-m", "pip", "install", "--quiet", f"uv=={UV_VERSION}"], check=True
        )


def sync_dependencies() -> None:
    stamp = VENV / ".synced-lock"
    lock = (ROOT / "uv.lock").read_bytes()
    if stamp.exists() and stamp.read_bytes() == lock:
        return
    step("installing the locked Python dependencies")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(VENV)}
    subprocess.run([BIN / "uv", "sync", "--frozen", "--quiet"], cwd=ROOT, env=env, check=True)
    stamp.write_bytes(lock)


def main() -> int:
    if sys.version_info < (3, 11):
        sys.exit("Therapia needs Python 3.11 or newer.")
    ensure_venv()
    sync_dependencies()
    subprocess.run([BIN / "python", "-m", "therapia.assets"], cwd=ROOT, check=True)
    os.chdir(ROOT)
    os.execv(BIN / "therapia", [str(BIN / "therapia"), *sys.argv[1:]])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
