"""`therapia demo`: migrate, seed an empty database, serve the practice, run the worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from therapia import dbserver

BIN = Path(sys.executable).parent


def _say(message: str) -> None:
    sys.stderr.write(f"[therapia] {message}\n")


def run(*, port: int, started: float) -> int:
    """`started` is time.monotonic() when the command began, for the readiness report."""
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    os.environ.setdefault("THERAPIA_SECURE_COOKIES", "false")  # plain http on localhost
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("seed_demo_if_empty")
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.conf import settings

    from therapia.audit.checkpoints import start_checkpoint_thread
    from therapia.core import clock_jobs

    stop_checkpoints = start_checkpoint_thread(settings.AUDIT_CHECKPOINT_MINUTES)
    stop_periodic = clock_jobs.start_thread()  # reminders, escalations, recurring series
    env = {**os.environ}
    web_env = {k: v for k, v in env.items() if k != "THERAPIA_DB_SCOPE"}  # request scope only
    web = subprocess.Popen(  # noqa: S603 (our own executables)
        [str(BIN / "gunicorn"), "therapia.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "4", "--no-control-socket", "--access-logfile", "-",
         "--access-logformat", '%(t)s "%(m)s %(U)s" %(s)s %(M)sms'],
        cwd=dbserver.ROOT, env=web_env,
    )
    worker = subprocess.Popen(  # noqa: S603
        [str(BIN / "python"), "-m", "django", "db_worker", "--interval", "2"],
        cwd=dbserver.ROOT, env=env,
    )
    if not _wait_until_serving(port):
        _say("the web server did not answer within 60 s; stopping")
        web.terminate()
        worker.terminate()
        stop_checkpoints()
        return 1
    _say(f"ready in {time.monotonic() - started:.1f} s")
    call_command("demo_sign_ins", port=port)
    try:
        return _supervise(web, worker)
    finally:
        stop_periodic()
        stop_checkpoints()  # one last signed checkpoint on the way out


def _wait_until_serving(port: int) -> bool:
    """True once the sign-in page answers 200 (Django loaded in a worker)."""
    url = f"http://127.0.0.1:{port}/accounts/sign-in/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


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
