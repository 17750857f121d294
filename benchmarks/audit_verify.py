"""How many audit entries per second `therapia audit verify` checks.

    .venv/bin/python benchmarks/audit_verify.py                     # 300,000 entries, 5 runs
    .venv/bin/python benchmarks/audit_verify.py --entries 1000000 --runs 3

The script clones the test suite's migrated template into a scratch database (dropped at the
end), fills audit_auditevent with N chained entries of realistic width (generated in SQL,
their MACs computed once in Python, loaded with COPY and INSERT ... SELECT; no trigger
fires), VACUUMs it, writes a signed checkpoint of its head, then runs the verifier that
`therapia audit verify` runs (therapia.audit.verify.verify_chain, as the application role)
--runs times. For each run it reports the wall time, the entries per second, the CPU
seconds of this Python process (the verifier runs on one thread) and of the PostgreSQL
backend serving it (from /proc), and the 1-minute load average before the run.
It also times the pure-Python loop (chain.verify_entries) over entries already in memory,
which is the verifier's cost on one core without the database, and how many cores two
CPU-bound processes started together actually get (the verifier and its backend can only
run side by side as far as that allows).
Target: at least 200,000 entries per second. JSON on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "therapia.settings_test")
os.environ.setdefault("THERAPIA_EMBEDDED_DB", "allow")

TICKS = os.sysconf("SC_CLK_TCK")
USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Safari/537.36")
# One row per entry (columns in chain.CANONICAL_COLUMNS order), varied like a practice's
# trail: staff and system actors, reads with and without a client, IPv4 and IPv6, a few
# field names.
FILL_SQL = """
INSERT INTO bench_rows ({columns}, prev_mac, mac) SELECT
    g AS seq,
    timestamptz '2026-01-01 08:00:00+00' + g * interval '97 milliseconds' AS occurred_at,
    CASE WHEN g %% 50 = 0 THEN NULL ELSE g %% 37 + 1 END AS actor_user_id,
    CASE WHEN g %% 50 = 0 THEN 'system:reminders'
         ELSE 'staff' || (g %% 37 + 1) || '@riverside-therapy.example' END AS actor_label,
    CASE WHEN g %% 50 = 0 THEN ''
         ELSE (ARRAY['owner', 'clinician', 'front_desk', 'trainee'])[g %% 4 + 1] END,
    1 + g %% 3 AS practice_id,
    CASE WHEN g %% 7 = 0 THEN NULL ELSE g %% 2000 + 1 END AS client_id,
    (ARRAY['read', 'read', 'list', 'update', 'create'])[g %% 5 + 1] AS action,
    (ARRAY['treatment', 'operations', 'scheduling'])[g %% 3 + 1] AS purpose,
    (ARRAY['clients.Client', 'scheduling.Appointment', 'records.Note'])[g %% 3 + 1],
    md5(g::text)::uuid::text AS object_id,
    CASE WHEN g %% 4 = 0 THEN '[]'::jsonb
         ELSE '["address", "date_of_birth", "email", "phone"]'::jsonb END AS fields,
    CASE WHEN g %% 3 = 0 THEN ('192.0.2.' || g %% 250)::inet
         ELSE ('2001:db8::' || to_hex(g %% 65535))::inet END AS ip_address,
    %(user_agent)s AS user_agent,
    md5((g * 7)::text)::uuid::text AS request_id,
    %(key_id)s AS key_id,
    %(zero)s AS prev_mac,
    %(zero)s AS mac
FROM generate_series(1, %(entries)s) AS g
"""


def say(message: str) -> None:
    sys.stderr.write(f"[benchmark] {message}\n")


def cpu_seconds_of(pid: int) -> float | None:
    """utime + stime of a process, or None where /proc is not readable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


def build(entries: int) -> float:
    """Fill audit_auditevent with `entries` chained rows; returns the seconds it took."""
    import psycopg
    from django.db import connections
    from psycopg.types.string import ByteaBinaryLoader

    from therapia.audit import chain, keys

    started = time.perf_counter()
    key_id, base = keys.current_base()
    owner = connections["owner"]
    owner.ensure_connection()
    raw = owner.connection
    raw.autocommit = True
    columns = ", ".join(chain.CANONICAL_COLUMNS)
    with psycopg.Cursor(raw) as cursor:
        cursor.execute("CREATE UNLOGGED TABLE bench_rows (LIKE audit_auditevent)")
        cursor.execute("ALTER TABLE bench_rows DROP COLUMN id")
        values = {"entries": entries, "user_agent": USER_AGENT, "key_id": key_id,
                  "zero": bytes(32)}
        cursor.execute(FILL_SQL.format(columns=columns), values)
        cursor.execute("CREATE UNLOGGED TABLE bench_macs (seq bigint, prev_mac bytea, mac bytea)")
    say(f"{entries:,} rows generated; computing their MACs")
    links, prev = [], chain.GENESIS
    with psycopg.Cursor(raw) as cursor:
        cursor.adapters.register_loader("record", ByteaBinaryLoader)
        for seq, record in cursor.stream(
                f"SELECT seq, {chain.RECORD_SQL} FROM bench_rows ORDER BY seq",  # noqa: S608
                binary=True, size=1000):
            mac = chain.entry_mac(base, prev, record)
            links.append((seq, prev, mac))
            prev = mac
    with psycopg.Cursor(raw) as cursor:
        copy_sql = "COPY bench_macs (seq, prev_mac, mac) FROM STDIN (FORMAT BINARY)"
        with cursor.copy(copy_sql) as copy:
            copy.set_types(["int8", "bytea", "bytea"])
            for link in links:
                copy.write_row(link)
        say("loading the audit table")
        cursor.execute(
            f"INSERT INTO audit_auditevent ({columns}, prev_mac, mac) "  # noqa: S608
            f"SELECT {', '.join('r.' + c for c in chain.CANONICAL_COLUMNS)}, m.prev_mac, m.mac "
            "FROM bench_rows AS r JOIN bench_macs AS m USING (seq) ORDER BY seq")
        cursor.execute("DROP TABLE bench_rows, bench_macs")
        cursor.execute("VACUUM (ANALYZE) audit_auditevent")
    owner.close()
    return time.perf_counter() - started


SPIN = ("import time; t, c = time.perf_counter(), time.process_time(); x = sum(range(30_000_000)); "
        "print(time.perf_counter() - t, time.process_time() - c)")


def cores_available() -> float:
    """How many cores two CPU-bound processes got when started together (2.0 = two free
    cores): the verifier and its PostgreSQL backend overlap only as far as this allows."""
    import subprocess

    spins = [subprocess.Popen([sys.executable, "-c", SPIN], stdout=subprocess.PIPE, text=True)  # noqa: S603
             for _ in range(2)]
    results = [tuple(map(float, spin.communicate()[0].split())) for spin in spins]
    return round(sum(cpu for _, cpu in results) / max(wall for wall, _ in results), 2)


def one_run(checkpoint_dir: Path) -> dict[str, Any]:
    from django.db import connections

    from therapia.audit.verify import verify_chain

    connections["default"].close()
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = int(cursor.fetchone()[0])
    load = os.getloadavg()[0]
    server_before = cpu_seconds_of(backend)
    report = verify_chain(checkpoint_dir=checkpoint_dir)
    server_after = cpu_seconds_of(backend)
    if not report.ok:
        raise SystemExit(f"verification failed: {report.problems}")
    server = (None if server_before is None or server_after is None
              else round(server_after - server_before, 3))
    return {
        "load_average_before": round(load, 2),
        "seconds": round(report.seconds, 3),
        "entries_per_second": round(report.rate),
        "python_cpu_seconds": round(report.cpu_seconds, 3),
        "python_cpu_entries_per_second": round(report.checked / report.cpu_seconds)
        if report.cpu_seconds else None,
        "server_cpu_seconds": server,
    }


def loop_only(count: int) -> dict[str, Any]:
    """chain.verify_entries over `count` entries already in memory: Python alone."""
    from therapia.audit import chain, keys
    from therapia.audit.verify import stream_entries

    with stream_entries("default", 1) as entries:
        held = list(itertools.islice(entries, count))
    hmac_keys = keys.hmac_keys()
    bases = hmac_keys.bases()
    times = []
    for _ in range(3):
        started = time.process_time()
        outcome = chain.verify_entries(held, bases=bases, first_key_id=hmac_keys.current_id)
        times.append(time.process_time() - started)
        assert outcome.problem is None  # noqa: S101
    best = min(times)
    return {"entries": len(held), "cpu_seconds": round(best, 3),
            "entries_per_second": round(len(held) / best)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--loop-entries", type=int, default=100_000,
                        help="entries held in memory for the Python-only timing")
    parser.add_argument("--keep", action="store_true",
                        help="keep the scratch database (for profiling); its name goes to stderr")
    args = parser.parse_args()

    from therapia.cli import ensure_secret_key

    ensure_secret_key()
    import django

    django.setup()
    import psycopg
    from django.db import connections
    from django.test.utils import setup_test_environment

    from therapia.audit.checkpoints import checkpoint_write
    from therapia.audit.verify import CHUNK_ROWS
    from therapia.core import testdb

    setup_test_environment()
    say(f"template database {testdb.template_database()} (built now if missing)")
    with testdb.scratch_database("bench_audit_verify", keep=args.keep) as name:
        build_seconds = build(args.entries)
        say(f"built in {build_seconds:.1f} s; verifying {args.runs} times")
        with tempfile.TemporaryDirectory() as checkpoints:
            checkpoint_write(directory=Path(checkpoints))
            parallel_before = cores_available()
            runs = [one_run(Path(checkpoints)) for _ in range(args.runs)]
            parallel_after = cores_available()
        loop = loop_only(args.loop_entries)
        with connections["default"].cursor() as cursor:
            cursor.execute("SHOW server_version")
            server_version = cursor.fetchone()[0]
    if args.keep:
        say(f"kept the scratch database {name}")
    rates = [run["entries_per_second"] for run in runs]
    result = {
        "benchmark": "audit_verify",
        "entries": args.entries,
        "build_seconds": round(build_seconds, 1),
        "runs": runs,
        "entries_per_second_median": round(statistics.median(rates)),
        "entries_per_second_best": max(rates),
        "python_loop_only": loop,
        "cores_available_before_and_after": [parallel_before, parallel_after],
        "target_entries_per_second": 200_000,
        "machine": {
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "postgresql": server_version,
            "psycopg": psycopg.__version__, "libpq": psycopg.pq.version(),
            "chunk_rows": CHUNK_ROWS,
        },
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
