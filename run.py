#!/usr/bin/env python3
"""Bootstrap Therapia on a bare machine: `python3 run.py demo` or `python3 run.py test`.

Needs only Python >= 3.11. Creates .venv, installs the pinned uv, installs the locked
dependencies (uv.lock) and the pinned front-end assets, then hands over to the `therapia`
command inside the virtual environment. Safe to run again: each step is skipped when done.

Where Python has no ensurepip (Debian without python3-venv), uv is taken straight from its
wheel on PyPI, checked against the sha256 PyPI publishes for it.
"""

from __future__ import annotations

import hashlib
import io
import os
import platform
import subprocess
import sys
import urllib.request
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
UV_VERSION = "0.9.5"  # the lock file was written by this version
_FILES = "https://files.pythonhosted.org/packages"
UV_WHEELS = {  # machine: (wheel URL, sha256), for machines without pip
    "x86_64": (
        (f"{_FILES}/9b/83/a0bdf4abf86ede79b427778fe27e2b4a022c98a7a8ea1745dcd6c6561f17/"
         "uv-0.9.5-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
        "6507bbbcd788553ec4ad5a96fa19364dc0f58b023e31d79868773559a83ec181",
    ),
    "aarch64": (
        (f"{_FILES}/48/8a/a990d9a39094d4d47bd11edff17573247f3791c33a19626e92c995498e68/"
         "uv-0.9.5-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64.whl"),
        "48a3542835d37882ff57d1ff91b757085525d98756712fa61cf9941d3dda8ebf",
    ),
}


def step(message: str) -> None:
    sys.stderr.write(f"[therapia] {message}\n")


def has_ensurepip() -> bool:
    try:
        import ensurepip  # noqa: F401

    except ImportError:
        return False
    return True


def ensure_venv() -> None:
    if not (BIN / "python").exists():
        step("creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=has_ensurepip()).create(VENV)
    if (BIN / "uv").exists():
        return
    step(f"installing uv {UV_VERSION}")
    if (BIN / "pip").exists():
        subprocess.run(
            [BIN / "python", "-m", "pip", "install", "--quiet", f"uv=={UV_VERSION}"], check=True
        )
    else:
        install_uv_from_wheel()


def install_uv_from_wheel() -> None:
    """Fetch the pinned uv wheel for this machine from PyPI and take the uv binary out."""
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(),
                                                          platform.machine().lower())
    if machine not in UV_WHEELS:
        sys.exit(f"No pinned uv wheel for {machine}: install python3-venv and retry.")
    url, sha256 = UV_WHEELS[machine]
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 (pinned https URL)
        data = response.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        sys.exit("The uv wheel downloaded from PyPI does not match its pinned sha256.")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        member = next(n for n in archive.namelist() if n.endswith("/scripts/uv"))
        (BIN / "uv").write_bytes(archive.read(member))
    (BIN / "uv").chmod(0o755)


def sync_dependencies() -> None:
    stamp = VENV / ".synced-lock"
    lock = (ROOT / "uv.lock").read_bytes()
    if stamp.exists() and stamp.read_bytes() == lock:
        return
    step("installing the locked Python dependencies")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(VENV)}
    # Compiled once here, so every later start skips compiling ~550 modules.
    command = [BIN / "uv", "sync", "--frozen", "--quiet", "--compile-bytecode"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    stamp.write_bytes(lock)


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 (this file must run on older Pythons too)
        sys.exit("Therapia needs Python 3.11 or newer.")
    ensure_venv()
    sync_dependencies()
    subprocess.run([BIN / "python", "-m", "therapia.assets"], cwd=ROOT, check=True)
    os.chdir(ROOT)
    os.execv(BIN / "therapia", [str(BIN / "therapia"), *sys.argv[1:]])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
