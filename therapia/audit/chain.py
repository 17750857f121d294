"""The audit chain: what each entry's MAC covers, and the loop that checks a run of entries.

Construction (a keyed hash chain, after Schneier and Kelsey, "Secure audit logs to support
computer forensics", ACM TISSEC 2(2), 1999, without their key evolution):

    mac(n) = HMAC-SHA256(K, DOMAIN || mac(n-1) || record(n))        mac(0) = GENESIS

K lives outside the database (therapia/audit/keys.py). HMAC is RFC 2104 with SHA-256
(FIPS 180-4), from the `cryptography` package. `seq` is dense and starts at 1, so a deleted
entry leaves a gap, an inserted one breaks the link, and an altered one fails its MAC.
Deleting entries from the *end* leaves a valid, shorter chain: only a signed checkpoint
kept outside the database (therapia/audit/checkpoints.py) detects that.

record(n) is the canonical form of the entry: PostgreSQL's binary wire representation of
the row value ROW(<CANONICAL_FIELDS>) -- the form `record_send` produces
(src/backend/utils/adt/rowtypes.c) and the protocol uses for binary results:

    int32 number of fields, then for each field:
        uint32 type OID, int32 length in bytes (-1 for NULL), the value's bytes
    value bytes (big-endian): bigint 8 bytes; timestamptz int64 microseconds since
    2000-01-01 UTC; varchar the UTF-8 text; jsonb a version byte 1 then the jsonb text;
    inet family, prefix bits, is_cidr, address length, address bytes.

Every field is length-prefixed and typed, so no two different rows share a record, whatever
text they hold (CR/LF, quotes, separators). The database builds the record both when the
entry is written (from the values about to be inserted) and when it is verified (from the
stored columns), so the writer and the verifier cannot disagree about formatting, and
verifying costs the server little and Python one HMAC per entry (docs/benchmarks.md).
The record of any stored row can be reproduced with one SELECT (`RECORD_SQL`), for an
auditor checking the chain with other tools.

Everything here is pure: no database, no settings.
"""

from __future__ import annotations

import enum
import hashlib
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC

# The fields each MAC covers, in order, with the SQL type of the column. `id` is not among
# them (it is a surrogate key from a sequence, not part of the event); neither are the MACs.
CANONICAL_FIELDS: tuple[tuple[str, str], ...] = (
    ("seq", "bigint"),
    ("occurred_at", "timestamptz"),
    ("actor_user_id", "bigint"),
    ("actor_label", "varchar"),
    ("actor_role", "varchar"),
    ("practice_id", "bigint"),
    ("client_id", "bigint"),
    ("action", "varchar"),
    ("purpose", "varchar"),
    ("object_type", "varchar"),
    ("object_id", "varchar"),
    ("fields", "jsonb"),
    ("ip_address", "inet"),
    ("user_agent", "varchar"),
    ("request_id", "varchar"),
    ("key_id", "varchar"),
)
CANONICAL_COLUMNS = tuple(name for name, _ in CANONICAL_FIELDS)
_KEY_ID_FIELD = CANONICAL_COLUMNS.index("key_id")
# The canonical record of a stored row.
RECORD_SQL = "ROW(" + ", ".join(CANONICAL_COLUMNS) + ")"

MAC_SIZE = 32
GENESIS = bytes(MAC_SIZE)  # the "previous MAC" of entry 1
DOMAIN = b"therapia.audit.chain.v1\x00"  # separates these MACs from any other use of a key
KEY_SIZE = 32


def key_id(key: bytes) -> str:
    """A short public name for a key (a hash of it; reveals nothing usable about it)."""
    return hashlib.sha256(b"therapia.audit.key-id\x00" + key).hexdigest()[:16]


def mac_base(key: bytes) -> HMAC:
    """An HMAC state that has absorbed the key and DOMAIN; copy it for each entry."""
    if len(key) != KEY_SIZE:
        raise ValueError(f"the audit HMAC key must be {KEY_SIZE} bytes")
    base = HMAC(key, hashes.SHA256())
    base.update(DOMAIN)
    return base


def entry_mac(base: HMAC, prev_mac: bytes, record: bytes) -> bytes:
    h = base.copy()
    h.update(prev_mac + record)
    return h.finalize()


def decode_record(record: bytes) -> list[tuple[int, bytes | None]]:
    """(type OID, value bytes or None) for each field of a binary record; for auditors and tests."""
    (count,) = struct.unpack_from("!i", record, 0)
    offset = 4
    fields: list[tuple[int, bytes | None]] = []
    for _ in range(count):
        oid, length = struct.unpack_from("!Ii", record, offset)
        offset += 8
        if length < 0:
            fields.append((oid, None))
        else:
            fields.append((oid, record[offset:offset + length]))
            offset += length
    if offset != len(record):
        raise ValueError("trailing bytes after the last field")
    return fields


def record_key_id(record: bytes) -> str:
    """The key id an entry's record names (its own `key_id` field)."""
    value = decode_record(record)[_KEY_ID_FIELD][1]
    return value.decode(errors="replace") if value is not None else ""


class Fault(enum.Enum):
    GAP = "missing entries before this one (deleted)"
    DUPLICATE = "out of order or repeated sequence number"
    LINK = "its previous-MAC does not match the entry before it (inserted, reordered or re-chained)"
    MAC = "MAC mismatch (the entry was altered, or forged without the key)"
    UNKNOWN_KEY = ("its MAC does not verify and it names a key not available here (altered, "
                   "or written with a key missing from this verifier)")
    CHECKPOINT = "differs from a signed checkpoint (the chain was rewritten up to here)"
    TRUNCATED = "missing: a signed checkpoint covers entries past the end of the trail"


@dataclass(frozen=True)
class Problem:
    seq: int
    entry_id: int | None  # None when the entry is missing
    fault: Fault
    detail: str = ""

    def describe(self) -> str:
        where = f"seq {self.seq}" + (f" (id {self.entry_id})" if self.entry_id is not None else "")
        return f"{where}: {self.fault.value}" + (f"; {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class Outcome:
    checked: int  # entries whose MAC and link were verified
    last_seq: int  # seq of the last verified entry (start - 1 if none)
    last_mac: bytes
    problem: Problem | None


# One entry as the verifier reads it: seq, prev_mac, mac, canonical record. (The row id is
# looked up only to name a bad entry; the key id is read from the record when needed.)
Entry = tuple[int, bytes, bytes, bytes]


def verify_entries(  # noqa: PLR0911 (one return per fault keeps the hot loop flat)
    entries: Iterable[Entry],
    *,
    bases: Mapping[str, HMAC],
    start_seq: int = 1,
    anchor: bytes = GENESIS,
    checkpoints: Mapping[int, bytes] | None = None,
    first_key_id: str = "",
) -> Outcome:
    """Check entries given in seq order, stopping at the first bad one.

    `bases` maps key ids to `mac_base(key)`; each entry is checked with the key that
    verified the entry before it (at first, `first_key_id`'s), and when that fails, with
    the key its record names. `anchor` is the MAC of entry start_seq - 1 (GENESIS for the
    whole chain). `checkpoints` maps seq to a MAC from a signed checkpoint; an entry at such
    a seq must carry exactly that MAC. Entries missing past the end are the caller's
    business (`tail_problem`). Problems name the seq; the caller adds the row id.
    """
    marks = iter(sorted((checkpoints or {}).items()))
    mark_seq, mark_mac = next(marks, (0, b""))
    base = bases.get(first_key_id) or next(iter(bases.values()))
    expect, prev = start_seq, anchor

    # The hot loop: locals only, one HMAC per entry. Plain != on MACs: nobody gets a
    # timing oracle out of a batch verifier.
    for seq, prev_mac, mac, record in entries:
        if seq != expect:
            if seq > expect:
                return _stop((start_seq, expect, prev),
                             Problem(seq, None, Fault.GAP, f"expected seq {expect}"))
            return _stop((start_seq, expect, prev), Problem(seq, None, Fault.DUPLICATE))
        if prev_mac != prev:
            return _stop((start_seq, expect, prev), Problem(seq, None, Fault.LINK))
        h = base.copy()
        h.update(prev_mac + record)
        if h.finalize() != mac:
            named = record_key_id(record)
            other = bases.get(named)
            if other is None:
                return _stop((start_seq, expect, prev),
                             Problem(seq, None, Fault.UNKNOWN_KEY, f"key id {named!r}"))
            if other is base or entry_mac(other, prev_mac, record) != mac:
                return _stop((start_seq, expect, prev), Problem(seq, None, Fault.MAC))
            base = other  # entries from here on were written with that key
        if seq == mark_seq:
            if mac != mark_mac:
                return _stop((start_seq, expect, prev), Problem(seq, None, Fault.CHECKPOINT))
            mark_seq, mark_mac = next(marks, (0, b""))
        prev = mac
        expect += 1
    return Outcome(expect - start_seq, expect - 1, prev, None)


def _stop(progress: tuple[int, int, bytes], problem: Problem) -> Outcome:
    start_seq, expect, prev = progress
    return Outcome(expect - start_seq, expect - 1, prev, problem)


def tail_problem(last_seq: int, newest_checkpoint_seq: int, source: str = "") -> Problem | None:
    """Entries a checkpoint vouches for that are no longer there: the tail was cut."""
    if newest_checkpoint_seq <= last_seq:
        return None
    missing = f"seq {last_seq + 1}" + (
        f" to {newest_checkpoint_seq}" if newest_checkpoint_seq > last_seq + 1 else "")
    detail = f"{missing} are gone; the checkpoint {source or ''} signed seq {newest_checkpoint_seq}"
    return Problem(last_seq + 1, None, Fault.TRUNCATED, " ".join(detail.split()))
