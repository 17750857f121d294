"""The chain as stored: written by audit_record, tampered with as the table owner, verified.

Tampering needs the owner (the application role may not UPDATE or DELETE) with the
append-only trigger disabled; it happens inside the test's transaction on the "owner"
connection, which rolls back. Everything in such a test goes through that connection:
the ALTER TABLE locks the table against every other session until the rollback.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import threading
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, connections, transaction
from psycopg.types.string import ByteaBinaryLoader

from therapia.audit import chain, keys
from therapia.audit.checkpoints import checkpoint_write
from therapia.audit.context import Origin, origin
from therapia.audit.models import Action, AuditEvent, Purpose
from therapia.audit.services import audit_record
from therapia.audit.verify import verify_chain

OWNER = pytest.mark.django_db(databases=["default", "owner"])
HOSTILE = [  # log injection (T-29): line breaks, ANSI, JSON and SQL breakers, non-ASCII
    "eve@example.org\r\nINFO forged line", "\x1b[31mred\x1b[0m", '"}], "x": [{"', "'; --",
    "Zoë 北京 🙂", "",
]


def append(count: int, *, using: str = "owner", start: int = 0) -> list[AuditEvent]:
    rows = []
    for n in range(start, start + count):
        here = Origin(ip_address="2001:db8::1" if n % 3 else "192.0.2.7",
                      user_agent=HOSTILE[n % len(HOSTILE)], job=f"test {n}")
        with origin(here):
            rows.append(audit_record(
                actor=None, action=Action.READ if n % 2 else Action.UPDATE,
                purpose=Purpose.TREATMENT, object_type="clients.Client",
                object_id=HOSTILE[(n + 1) % len(HOSTILE)], fields=["email", HOSTILE[n % 6]],
                using=using))
    return rows


def verify(tmp_path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    kwargs.setdefault("using", "owner")
    return verify_chain(checkpoint_dir=tmp_path / "checkpoints", **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def tamper():  # type: ignore[no-untyped-def]
    """An owner cursor with the append-only triggers off, until the test's rollback."""
    with connections["owner"].cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        yield cursor


def forge(cursor, *, seq: int, like: AuditEvent, prev_mac: bytes, key: bytes) -> int:  # type: ignore[no-untyped-def]
    """Insert a copy of `like` at `seq`, chained after prev_mac with `key`; returns its id."""
    columns = [c for c in chain.CANONICAL_COLUMNS if c != "seq"]
    cursor.execute(
        f"INSERT INTO audit_auditevent (seq, {', '.join(columns)}, prev_mac, mac) "  # noqa: S608
        f"SELECT %s, {', '.join(columns)}, %s, %s FROM audit_auditevent WHERE id = %s "
        "RETURNING id", [seq, prev_mac, bytes(32), like.pk])
    forged_id = cursor.fetchone()[0]
    rechain(cursor, forged_id, key)
    return forged_id


def record_of(row_id: int) -> bytes:
    """The canonical record of a stored row, as the verifier reads it."""
    with psycopg.Cursor(connections["owner"].connection) as binary:
        binary.adapters.register_loader("record", ByteaBinaryLoader)
        row = binary.execute(f"SELECT {chain.RECORD_SQL} FROM audit_auditevent "  # noqa: S608
                             "WHERE id = %s", [row_id], binary=True).fetchone()
    assert row is not None
    return bytes(row[0])


def rechain(cursor, row_id: int, key: bytes) -> bytes:  # type: ignore[no-untyped-def]
    """What an insider holding `key` would do: recompute one row's MAC after a change."""
    cursor.execute("SELECT prev_mac FROM audit_auditevent WHERE id = %s", [row_id])
    prev = bytes(cursor.fetchone()[0])
    mac = chain.entry_mac(chain.mac_base(key), prev, record_of(row_id))
    cursor.execute("UPDATE audit_auditevent SET mac = %s WHERE id = %s", [mac, row_id])
    return mac


@OWNER
def test_t18_chain_verifies_clean_after_audited_actions(personas, tmp_path) -> None:
    rows = append(12)
    report = verify(tmp_path)
    assert report.ok, report.problems
    assert report.last_seq == rows[-1].seq and report.checked == rows[-1].seq
    assert [r.seq for r in rows] == list(range(rows[0].seq, rows[0].seq + 12))
    assert all(r.prev_mac == prev.mac for prev, r in itertools.pairwise(rows))


def test_t18_entries_from_the_app_role_chain_too(personas, tmp_path) -> None:
    from therapia.clients import services
    services.client_create(actor=personas.actor("owner"), data={
        "legal_given_name": "Ife", "legal_family_name": "Adeyemi", "date_of_birth": "1979-09-30"})
    append(3, using="default")
    report = verify_chain(checkpoint_dir=tmp_path)
    assert report.ok, report.problems
    newest = AuditEvent.objects.order_by("-seq").first()
    assert newest is not None and report.last_seq == newest.seq
    assert newest.key_id == keys.hmac_keys().current_id


@OWNER
def test_t29_hostile_text_is_kept_verbatim_and_the_record_written_is_the_record_verified(
        personas, tmp_path) -> None:
    """The writer's record (built from parameters) equals the verifier's (from the row),
    whatever the text: CR/LF, ANSI escapes, JSON and SQL breakers, non-ASCII."""
    rows = append(len(HOSTILE))
    for n, row in enumerate(rows):
        stored = record_of(row.pk)
        assert chain.entry_mac(keys.current_base()[1], bytes(row.prev_mac), stored) == row.mac
        assert AuditEvent.objects.using("owner").get(pk=row.pk).user_agent == HOSTILE[n]
    assert verify(tmp_path).ok


def test_every_column_but_the_id_and_macs_is_covered() -> None:
    """legal_basis is covered through `fields`, which must hold the same code."""
    columns = {f.column for f in AuditEvent._meta.concrete_fields}
    assert columns - set(chain.CANONICAL_COLUMNS) == {"id", "prev_mac", "mac", "legal_basis"}


@pytest.mark.django_db
def test_the_legal_basis_column_repeats_the_chained_basis() -> None:
    row = audit_record(actor=None, action=Action.READ, purpose=Purpose.TREATMENT,
                       object_type="records.PsychotherapyNote", legal_basis="TRAINING")
    assert row.legal_basis == "TRAINING" and "basis:TRAINING" in row.fields
    stored = AuditEvent.objects.get(pk=row.pk)
    assert stored.legal_basis == "TRAINING" and "basis:TRAINING" in stored.fields
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO audit_auditevent (seq, occurred_at, actor_label, action, "
                       "purpose, object_type, object_id, fields, user_agent, request_id, "
                       "key_id, prev_mac, mac, actor_role, legal_basis) SELECT seq + 1, "
                       "occurred_at, actor_label, action, purpose, object_type, object_id, "
                       "'[]', user_agent, request_id, key_id, prev_mac, mac, actor_role, "
                       "'TRAINING' FROM audit_auditevent WHERE id = %s", [row.pk])


@OWNER
def test_t19_an_altered_field_is_named(personas, tmp_path, tamper) -> None:
    rows = append(8)
    target = rows[4]
    tamper.execute("UPDATE audit_auditevent SET object_type = 'clients.Note' WHERE id = %s",
                   [target.pk])
    report = verify(tmp_path)
    assert not report.ok
    assert report.entry_problem.fault is chain.Fault.MAC
    assert report.problems[0].startswith(f"seq {target.seq} (id {target.pk}): MAC mismatch")
    assert report.checked == target.seq - 1


@OWNER
def test_t19_a_changed_time_or_address_is_caught(personas, tmp_path, tamper) -> None:
    rows = append(4)
    tamper.execute("UPDATE audit_auditevent SET occurred_at = occurred_at + interval '1 "
                   "microsecond' WHERE id = %s", [rows[1].pk])
    assert verify(tmp_path).entry_problem.seq == rows[1].seq
    tamper.execute("UPDATE audit_auditevent SET occurred_at = occurred_at - interval '1 "
                   "microsecond', ip_address = '2001:db8::2' WHERE id = %s", [rows[1].pk])
    assert verify(tmp_path).entry_problem.seq == rows[1].seq


@OWNER
def test_t20_a_deleted_middle_row_is_named(personas, tmp_path, tamper) -> None:
    rows = append(8)
    tamper.execute("DELETE FROM audit_auditevent WHERE id = %s", [rows[3].pk])
    report = verify(tmp_path)
    assert report.entry_problem.fault is chain.Fault.GAP
    assert report.problems[0].startswith(
        f"seq {rows[4].seq} (id {rows[4].pk}): missing entries before this one")
    assert f"expected seq {rows[3].seq}" in report.problems[0]


@OWNER
def test_t20_a_deleted_and_renumbered_row_breaks_the_link(personas, tmp_path, tamper) -> None:
    rows = append(6)
    tamper.execute("DELETE FROM audit_auditevent WHERE id = %s", [rows[2].pk])
    tamper.execute("UPDATE audit_auditevent SET seq = seq + 1000000 WHERE seq > %s",
                   [rows[2].seq])
    tamper.execute("UPDATE audit_auditevent SET seq = seq - 1000001 WHERE seq > 1000000")
    report = verify(tmp_path)
    assert report.entry_problem.fault is chain.Fault.LINK
    assert report.entry_problem.entry_id == rows[3].pk


@OWNER
def test_an_inserted_row_forged_without_the_key_is_named(personas, tmp_path, tamper) -> None:
    rows = append(6)
    k = rows[2]
    tamper.execute("UPDATE audit_auditevent SET seq = seq + 1000000 WHERE seq > %s", [k.seq])
    tamper.execute("UPDATE audit_auditevent SET seq = seq - 999999 WHERE seq > 1000000")
    forged = forge(tamper, seq=k.seq + 1, like=k, prev_mac=bytes(k.mac), key=os.urandom(32))
    report = verify(tmp_path)
    assert report.entry_problem.fault is chain.Fault.MAC
    assert report.problems[0].startswith(f"seq {k.seq + 1} (id {forged}): MAC mismatch")


@OWNER
def test_an_inserted_row_forged_with_the_key_breaks_the_next_link(personas, tmp_path,
                                                                  tamper) -> None:
    rows = append(6)
    k = rows[2]
    tamper.execute("UPDATE audit_auditevent SET seq = seq + 1000000 WHERE seq > %s", [k.seq])
    tamper.execute("UPDATE audit_auditevent SET seq = seq - 999999 WHERE seq > 1000000")
    forge(tamper, seq=k.seq + 1, like=k, prev_mac=bytes(k.mac), key=keys.hmac_keys().current)
    report = verify(tmp_path)
    assert report.entry_problem.fault is chain.Fault.LINK
    assert report.entry_problem.seq == k.seq + 2 and report.entry_problem.entry_id == rows[3].pk


@OWNER
def test_t21_a_truncated_tail_needs_the_checkpoint(personas, tmp_path, tamper) -> None:
    rows = append(14)
    written = checkpoint_write(directory=tmp_path / "checkpoints", using="owner")
    assert written is not None and written.seq == rows[-1].seq
    assert written.path is not None and written.path.is_file()  # outside the database
    tamper.execute("DELETE FROM audit_auditevent WHERE seq > %s", [rows[3].seq])
    assert verify(tmp_path / "no-checkpoints").ok  # the chain alone cannot tell
    report = verify(tmp_path)
    assert report.entry_problem.fault is chain.Fault.TRUNCATED
    assert report.problems[0].startswith(
        f"seq {rows[4].seq}: missing: a signed checkpoint covers entries past the end")
    assert f"seq {rows[4].seq} to {rows[-1].seq} are gone" in report.problems[0]


@OWNER
def test_t21_a_rewrite_with_the_hmac_key_is_caught_by_the_checkpoint(personas, tmp_path,
                                                                     tamper) -> None:
    rows = append(6)
    checkpoint_write(directory=tmp_path / "checkpoints", using="owner")
    key = keys.hmac_keys().current
    tamper.execute("UPDATE audit_auditevent SET action = 'list' WHERE id = %s", [rows[1].pk])
    prev = rechain(tamper, rows[1].pk, key)
    for row in rows[2:]:
        tamper.execute("UPDATE audit_auditevent SET prev_mac = %s WHERE id = %s", [prev, row.pk])
        prev = rechain(tamper, row.pk, key)
    assert verify(tmp_path / "no-checkpoints").ok  # a valid chain, rewritten
    report = verify(tmp_path)
    assert report.entry_problem.fault is chain.Fault.CHECKPOINT
    assert report.entry_problem.seq == rows[-1].seq


@OWNER
def test_a_checkpoint_with_a_bad_signature_fails_verification(personas, tmp_path) -> None:
    append(3)
    written = checkpoint_write(directory=tmp_path / "checkpoints", using="owner")
    assert written is not None and written.path is not None
    text = written.path.read_text()
    written.path.write_text(text.replace(f'"seq": {written.seq}', f'"seq": {written.seq + 50}'))
    report = verify(tmp_path)
    assert not report.ok
    assert report.problems == [f"checkpoint {written.path.name}: the signature does not verify"]


@OWNER
def test_verify_from_a_sequence_number_anchors_on_a_checkpoint(personas, tmp_path, tamper) -> None:
    rows = append(5)
    checkpoint_write(directory=tmp_path / "checkpoints", using="owner")
    more = append(3, start=5)
    report = verify(tmp_path, from_seq=more[0].seq)
    assert report.ok and report.checked == 3
    assert report.anchored_on == f"checkpoint at seq {rows[-1].seq}"
    tamper.execute("UPDATE audit_auditevent SET object_id = 'x' WHERE id = %s", [more[1].pk])
    assert verify(tmp_path, from_seq=more[0].seq).entry_problem.seq == more[1].seq


@OWNER
def test_verify_command_prints_a_summary(personas, tmp_path, capsys) -> None:
    append(4)
    call_command("audit", "verify", "--database", "owner", "--checkpoint-dir", str(tmp_path))
    out = capsys.readouterr().out
    assert out.startswith("audit chain OK: ") and "entries/s" in out


@OWNER
def test_verify_command_exits_1_naming_the_first_bad_entry(personas, tmp_path, tamper) -> None:
    rows = append(6)
    tamper.execute("UPDATE audit_auditevent SET client_id = 99 WHERE id IN (%s, %s)",
                   [rows[2].pk, rows[4].pk])
    with pytest.raises(CommandError) as failed:
        call_command("audit", "verify", "--database", "owner", "--checkpoint-dir", str(tmp_path))
    # `therapia audit verify` exits with CommandError.returncode and prints the message
    # (BaseCommand.run_from_argv; not called here, as it closes the test's connections).
    assert failed.value.returncode == 1
    assert str(failed.value).startswith(
        f"audit chain verification FAILED: seq {rows[2].seq} (id {rows[2].pk}): MAC mismatch")
    # The stream stopped early and the connection is usable again.
    with connections["owner"].cursor() as cursor:
        cursor.execute("SELECT 1")


@OWNER
def test_checkpoint_command_writes_a_file(personas, tmp_path, capsys) -> None:
    rows = append(2)
    call_command("audit", "checkpoint", "--database", "owner", "--checkpoint-dir", str(tmp_path))
    assert f"checkpoint at seq {rows[-1].seq}" in capsys.readouterr().out
    assert len(list(tmp_path.glob("checkpoint-*.json"))) == 1


@OWNER
def test_rows_before_the_chain_are_chained_by_the_migration(personas, tmp_path) -> None:
    from django.db.migrations.executor import MigrationExecutor
    owner = connections["owner"]
    executor = MigrationExecutor(owner)
    executor.migrate([("audit", "0002_append_only")])
    with owner.cursor() as cursor:
        for n in range(3):
            cursor.execute(
                "INSERT INTO audit_auditevent (occurred_at, actor_label, action, purpose, "
                "object_type, object_id, fields, user_agent, request_id) VALUES "
                "(%s, 'old', 'read', 'system', 'test', '', '[]', '', '')",
                [dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n)])
    executor = MigrationExecutor(owner)
    executor.migrate(executor.loader.graph.leaf_nodes("audit"))
    report = verify(tmp_path)
    assert report.ok, report.problems
    assert report.checked >= 3
    with owner.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = "
                       "'audit_auditevent'::regclass AND tgenabled = 'O' AND NOT tgisinternal")
        assert cursor.fetchone()[0] == 2  # the triggers are back on


def test_t48_concurrent_appends_from_two_connections_form_one_chain(db, tmp_path) -> None:
    """Two threads, two connections, committing for real (these rows stay in this test
    database, which is dropped at the end of the session: the trail cannot be flushed)."""
    per_thread, start = 25, threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            start.wait()
            for n in range(per_thread):
                with origin(Origin(job=name)):
                    audit_record(actor=None, action=Action.READ, purpose=Purpose.SYSTEM,
                                 object_type=f"concurrency.{name}", object_id=str(n))
        except BaseException as error:  # noqa: BLE001 (reported by the main thread)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    seqs = sorted(AuditEvent.objects.filter(object_type__startswith="concurrency.")
                  .values_list("seq", flat=True))
    assert len(seqs) == 2 * per_thread
    report = verify_chain(checkpoint_dir=tmp_path)
    assert report.ok, report.problems
    assert report.last_seq >= seqs[-1]
