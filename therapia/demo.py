"""`therapia demo`: migrate, seed an empty database, serve the practice, run the worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from therapia import dbserver

BIN = Path(sys.executable).parent


def _say(message: str) -> None:
    sys.stderr.write(f"[therapia] {message}\n")


def run(*, port: int) -> int:
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    os.environ.setdefault("THERAPIA_SECURE_COOKIES", "false")  # plain http on localhost
    started = time.monotonic()
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("seed_demo_if_empty")
    env = {**os.environ}
    web = subprocess.Popen(  # noqa: S603 (our own executables)
        [str(BIN / "gunicorn"), "therapia.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "4", "--access-logfile", "-",
         "--access-logformat", '%(t)s "%(m)s %(U)s" %(s)s %(M)sms'],
        cwd=dbserver.ROOT, env=env,
    )
    worker = subprocess.Popen(  # noqa: S603
        [str(BIN / "python"), "-m", "django", "db_worker", "--interval", "2"],
        cwd=dbserver.ROOT, env=env,
    )
    _wait_until_serving(port)
    _say(f"ready in {time.monotonic() - started:.1f} s")
    call_command("demo_sign_ins", port=port)
    return _supervise(web, worker)


def _wait_until_serving(port: int) -> None:
    import socket

    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)


def _supervise(*processes: subprocess.Popen[bytes]) -> int:
    def stop(*_: object) -> None:
        for process in processes:
            process.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    stop()
    for process in processes:
        process.wait(timeout=10)
    return 0
