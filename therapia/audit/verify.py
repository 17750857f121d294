"""Verifying the audit chain stored in the database against its keys and checkpoints.

One query streams (seq, previous MAC, MAC, canonical record) in seq order; the database
builds each record (chain.RECORD_SQL), Python computes one HMAC per entry
(chain.verify_entries). The rows arrive in chunks while Python works on the previous ones,
so the server and the verifier can run side by side on two cores. The query sees one
snapshot; because appends are serialised until commit, that snapshot holds a complete
prefix of the chain. Checkpoints are read *before* the query starts, so none can name an
entry the snapshot cannot see.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import connections
from psycopg.types.string import ByteaBinaryLoader

from therapia.audit import chain, keys
from therapia.audit.checkpoints import Checkpoint, CheckpointSet, checkpoints_read

# Rows per chunk of the streamed result (chunked rows need libpq 17 or later).
CHUNK_ROWS = 500

_ENTRIES_SQL = (  # constants only
    f"SELECT seq, prev_mac, mac, {chain.RECORD_SQL} FROM audit_auditevent"  # noqa: S608
    " WHERE seq >= %s ORDER BY seq"
)


@dataclass(frozen=True)
class Report:
    start_seq: int
    checked: int
    last_seq: int
    seconds: float
    cpu_seconds: float  # of this process
    anchored_on: str  # what the MAC before start_seq was taken from
    checkpoints: CheckpointSet
    problems: list[str] = field(default_factory=list)  # the first bad entry comes first
    entry_problem: chain.Problem | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rate(self) -> float:
        return self.checked / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        newest = self.checkpoints.newest
        tail = (f"; newest checkpoint seq {newest.seq} ({newest.created_at}) matches"
                if newest and newest.seq >= self.start_seq else "; no checkpoint to compare")
        span = f" (seq {self.start_seq} to {self.last_seq})" if self.checked else ""
        return (f"audit chain OK: {self.checked:,} entries{span} verified in "
                f"{self.seconds:.2f} s, {self.rate:,.0f} entries/s{tail}")


@contextlib.contextmanager
def stream_entries(using: str, start_seq: int) -> Iterator[Iterator[chain.Entry]]:
    """The entries from `start_seq` in seq order, streamed; leaving the block early stops
    the query and leaves the connection usable."""
    connection = connections[using]
    connection.ensure_connection()
    size = CHUNK_ROWS if psycopg.pq.version() >= 170000 else 1
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.adapters.register_loader("record", ByteaBinaryLoader)
        rows = cast("Generator[chain.Entry, None, None]",
                    cursor.stream(_ENTRIES_SQL, [start_seq], binary=True, size=size))
        try:
            yield rows
        finally:
            rows.close()


def _entry_id(using: str, seq: int) -> int | None:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT min(id) FROM audit_auditevent WHERE seq = %s", [seq])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else None


def _anchor(using: str, start_seq: int, by_seq: dict[int, Checkpoint]) -> tuple[bytes, str]:
    if start_seq <= 1:
        return chain.GENESIS, "genesis"
    if start_seq - 1 in by_seq:
        return by_seq[start_seq - 1].mac, f"checkpoint at seq {start_seq - 1}"
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT mac FROM audit_auditevent WHERE seq = %s", [start_seq - 1])
        row = cursor.fetchone()
    if row is None:
        raise LookupError(f"seq {start_seq - 1} is not in the trail")
    return bytes(row[0]), f"the stored MAC of seq {start_seq - 1}, not itself verified"


def verify_chain(
    *,
    using: str = "default",
    from_seq: int = 1,
    checkpoint_dir: Path | None = None,
    hmac_keys: keys.HmacKeys | None = None,
    public_key: Ed25519PublicKey | None = None,
) -> Report:
    hmac_keys = hmac_keys or keys.hmac_keys()
    directory = checkpoint_dir or Path(settings.AUDIT_CHECKPOINT_DIR)
    checkpoints = checkpoints_read(directory, lambda: public_key or keys.public_key())
    problems = list(checkpoints.problems)
    by_seq: dict[int, Checkpoint] = {}
    for checkpoint in checkpoints.valid:
        earlier = by_seq.setdefault(checkpoint.seq, checkpoint)
        if earlier.mac != checkpoint.mac:
            problems.append(f"checkpoints {earlier.name} and {checkpoint.name} sign different "
                            f"MACs for seq {checkpoint.seq}: the chain was forked or rewritten")
    start = max(from_seq, 1)
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        anchor, anchored_on = _anchor(using, start, by_seq)
    except LookupError as error:
        return Report(start, 0, start - 1, 0.0, 0.0, "nothing", checkpoints,
                      [f"cannot start at seq {start}: {error}"])
    with stream_entries(using, start) as entries:
        outcome = chain.verify_entries(
            entries, bases=hmac_keys.bases(), start_seq=start, anchor=anchor,
            checkpoints={seq: c.mac for seq, c in by_seq.items() if seq >= start},
            first_key_id=hmac_keys.current_id)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    entry_problem = outcome.problem
    if entry_problem is not None:
        entry_problem = dataclasses.replace(entry_problem,
                                            entry_id=_entry_id(using, entry_problem.seq))
    newest = checkpoints.newest
    if entry_problem is None and newest is not None:
        entry_problem = chain.tail_problem(outcome.last_seq, newest.seq, newest.name)
    if entry_problem is not None:
        problems.insert(0, entry_problem.describe())
    return Report(start, outcome.checked, outcome.last_seq, seconds, cpu, anchored_on,
                  checkpoints, problems, entry_problem)
