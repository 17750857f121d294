"""Signed checkpoints: written outside the database, refused when tampered with."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connections

from therapia.audit import checkpoints
from therapia.audit.checkpoints import CheckpointError
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record

NOW = dt.datetime(2026, 11, 21, 20, 15, tzinfo=dt.UTC)
KEY = Ed25519PrivateKey.generate()


def signed(seq: int = 7) -> checkpoints.Checkpoint:
    return checkpoints.sign(seq=seq, mac=bytes(range(32)), hmac_key_id="0123456789abcdef",
                            key=KEY, now=NOW)


def test_a_checkpoint_round_trips_and_verifies() -> None:
    made = signed()
    parsed = checkpoints.parse(made.to_json())
    assert parsed == made
    checkpoints.check(parsed, KEY.public_key())
    assert json.loads(made.to_json())["created_at"] == "2026-11-21T20:15:00.000000Z"


@pytest.mark.parametrize("field", ["seq", "mac", "created_at", "hmac_key_id"])
def test_any_changed_field_breaks_the_signature(field: str) -> None:
    body = json.loads(signed().to_json())
    body[field] = {"seq": 8, "mac": "ff" * 32, "created_at": "2027-01-01T00:00:00.000000Z",
                   "hmac_key_id": "fedcba9876543210"}[field]
    with pytest.raises(CheckpointError, match="does not verify"):
        checkpoints.check(checkpoints.parse(json.dumps(body)), KEY.public_key())


def test_another_signing_key_is_refused() -> None:
    with pytest.raises(CheckpointError, match="unknown key"):
        checkpoints.check(signed(), Ed25519PrivateKey.generate().public_key())


@pytest.mark.parametrize("text", ["", "[]", '{"format": "x"}',
                                  '{"format": "therapia.audit.checkpoint.v1", "seq": 1}'])
def test_malformed_files_are_refused(text: str) -> None:
    with pytest.raises(CheckpointError):
        checkpoints.parse(text)


def test_reading_a_directory_sorts_good_from_bad(tmp_path) -> None:
    (tmp_path / "a.json").write_text(signed(3).to_json())
    (tmp_path / "b.json").write_text(signed(9).to_json().replace('"seq": 9', '"seq": 10'))
    (tmp_path / "c.json").write_text("not json")
    found = checkpoints.checkpoints_read(tmp_path, KEY.public_key())
    assert [c.seq for c in found.valid] == [3] and found.newest is not None
    assert found.problems == ["checkpoint b.json: the signature does not verify",
                              "checkpoint c.json: malformed (JSONDecodeError)"]


@pytest.mark.django_db(databases=["default", "owner"])
def test_an_empty_trail_gets_no_checkpoint(tmp_path) -> None:
    with connections["owner"].cursor() as cursor:  # emptied inside the test's transaction
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM audit_auditevent")
    assert checkpoints.checkpoint_write(directory=tmp_path, using="owner") is None
    assert not tmp_path.exists() or not list(tmp_path.iterdir())


def test_no_new_file_while_the_chain_has_not_grown(db, tmp_path) -> None:
    audit_record(actor=None, action=Action.READ, purpose=Purpose.SYSTEM, object_type="test")
    first = checkpoints.checkpoint_write(directory=tmp_path, now=NOW)
    again = checkpoints.checkpoint_write(directory=tmp_path, now=NOW + dt.timedelta(hours=1))
    assert first == again and len(list(tmp_path.glob("*.json"))) == 1
    audit_record(actor=None, action=Action.READ, purpose=Purpose.SYSTEM, object_type="test")
    third = checkpoints.checkpoint_write(directory=tmp_path)
    assert third is not None and first is not None and third.seq == first.seq + 1
    assert len(list(tmp_path.glob("*.json"))) == 2
    assert not list(tmp_path.glob(".*"))  # no temporary files left


def test_the_loop_writes_one_more_when_stopped(db, tmp_path) -> None:
    audit_record(actor=None, action=Action.READ, purpose=Purpose.SYSTEM, object_type="test")
    stop = threading.Event()
    stop.set()
    checkpoints.checkpoint_loop(every_minutes=60, stop=stop, directory=tmp_path)
    assert len(list(tmp_path.glob("checkpoint-*.json"))) == 1


def test_the_demo_thread_stops_when_asked(db, tmp_path, settings) -> None:
    settings.AUDIT_CHECKPOINT_DIR = tmp_path  # it writes what other connections committed
    finish = checkpoints.start_checkpoint_thread(every_minutes=60)
    assert finish(timeout=30) is True


def test_without_checkpoint_files_no_public_key_is_needed(tmp_path) -> None:
    def no_key() -> None:
        raise AssertionError("the key was loaded")

    found = checkpoints.checkpoints_read(tmp_path, no_key)  # type: ignore[arg-type]
    assert found.valid == [] and found.problems == [] and found.newest is None
