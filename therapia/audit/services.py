"""Writing audit rows. Call inside the transaction of the change (house rule 2).

Each row is appended to the chain (therapia/audit/chain.py). Appends are serialised by a
transaction-scoped advisory lock taken just before reading the chain's head, so the row
commits (or rolls back) with the caller's transaction and the next writer waits for that.
The lock is held until the caller's transaction ends: audit last in long transactions.
Under READ COMMITTED (Django's default) the head is read after the lock is granted, so it
is the latest committed row; a caller in a REPEATABLE READ transaction whose snapshot is
older would compute a sequence number already taken, and the unique constraint on `seq`
refuses the row rather than fork the chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import psycopg
from django.db import connections, models, router, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb
from psycopg.types.string import ByteaBinaryLoader

from therapia.audit import chain, keys
from therapia.audit.context import current_origin
from therapia.audit.models import Action, AuditEvent, Purpose

if TYPE_CHECKING:
    from therapia.accounts.models import Practice, User
    from therapia.clients.models import Client
    from therapia.security.actor import Actor

# pg_advisory_xact_lock key for appends to the chain: the ASCII bytes of "thaudit1".
CHAIN_LOCK = int.from_bytes(b"thaudit1", "big")

_PLACEHOLDERS = {name: f"%({name})s::{sql_type}" for name, sql_type in chain.CANONICAL_FIELDS}
# The next seq, the previous MAC, and the canonical record of the row about to be written,
# built by the database from the same typed values the INSERT below stores.
_RECORD_OF_VALUES = ", ".join(
    "n.seq" if name == "seq" else _PLACEHOLDERS[name] for name in chain.CANONICAL_COLUMNS)
_HEAD_SQL = (
    "SELECT n.seq, n.prev_mac, ROW(" + _RECORD_OF_VALUES  # noqa: S608 (constants only)
    + ") FROM (SELECT COALESCE(h.seq, 0) + 1 AS seq, COALESCE(h.mac, %(genesis)s) AS prev_mac"
    " FROM (SELECT 1) AS one LEFT JOIN (SELECT seq, mac FROM audit_auditevent"
    " ORDER BY seq DESC LIMIT 1) AS h ON true) AS n"
)
_INSERT_COLUMNS = (*chain.CANONICAL_COLUMNS, "legal_basis", "prev_mac", "mac")
_INSERT_SQL = (
    "INSERT INTO audit_auditevent (" + ", ".join(_INSERT_COLUMNS) + ") VALUES ("  # noqa: S608
    + ", ".join([*(_PLACEHOLDERS[name] for name in chain.CANONICAL_COLUMNS),
                 "%(legal_basis)s", "%(prev_mac)s::bytea", "%(mac)s::bytea"])
    + ") RETURNING id"
)


def audit_record(
    *,
    actor: Actor | None,
    action: Action,
    purpose: Purpose,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    client: Client | None = None,
    fields: Iterable[str] = (),
    user: User | None = None,
    practice: Practice | None = None,
    using: str | None = None,
    legal_basis: str = "",
) -> AuditEvent:
    """Append one audit row. `fields` are field names only, never values; `legal_basis`
    names the ground for an access the normal policy would not give (a code, not text).
    The basis also travels in `fields` as "basis:<code>", which the chain's MAC covers;
    the column is its queryable copy, tied to it by a constraint (migration audit/0004)."""
    here = current_origin()
    if actor and client and not legal_basis and client.pk in actor.emergency_client_ids:
        legal_basis = "BREAK_GLASS"  # a read under emergency access (BG-3)
    who = user or (actor.user if actor else None)
    where = practice or (actor.practice if actor else None)
    label = who.email if who else f"system:{here.job or 'unknown'}"
    values: dict[str, Any] = {
        "occurred_at": timezone.now(),
        "actor_user_id": who.pk if who else None,
        "actor_label": label[:200],
        "actor_role": actor.role if actor and (user is None or user == actor.user) else "",
        "practice_id": where.pk if where else None,
        "client_id": client.pk if client else None,
        "action": Action(action).value,
        "purpose": Purpose(purpose).value,
        "object_type": object_type or (obj._meta.label if obj is not None else ""),
        "object_id": object_id or str(getattr(obj, "public_id", "") or ""),
        "fields": sorted({*fields, *([f"basis:{legal_basis}"] if legal_basis else [])}),
        "ip_address": here.ip_address,
        "user_agent": here.user_agent,
        "request_id": here.request_id,
    }
    return _append(values, legal_basis=legal_basis,
                   using=using or router.db_for_write(AuditEvent))


def _append(values: dict[str, Any], *, legal_basis: str, using: str) -> AuditEvent:
    key_id, base = keys.current_base()
    params = {**values, "key_id": key_id, "fields": Jsonb(values["fields"]),
              "genesis": chain.GENESIS, "legal_basis": legal_basis}
    connection = connections[using]
    with transaction.atomic(using=using, savepoint=False):
        connection.ensure_connection()
        # A binary result (the record's bytes) needs a server-binding psycopg cursor (Django's
        # bind client-side); it runs on the same connection, in the same transaction.
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.adapters.register_loader("record", ByteaBinaryLoader)
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
            head = cursor.execute(_HEAD_SQL, params, binary=True).fetchone()
        if head is None:
            raise RuntimeError("the chain-head query returned no row")
        seq, prev_mac, record = head
        mac = chain.entry_mac(base, prev_mac, record)
        params.update(seq=seq, prev_mac=prev_mac, mac=mac)
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_SQL, params)
            (row_id,) = cursor.fetchone()
    stored = {**values, "legal_basis": legal_basis, "id": row_id, "seq": seq, "key_id": key_id,
              "prev_mac": prev_mac, "mac": mac}
    names = [field.attname for field in AuditEvent._meta.concrete_fields]
    return AuditEvent.from_db(using, names, [stored[name] for name in names])
