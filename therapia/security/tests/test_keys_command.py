"""`therapia keys`: rotation (T-34), status, retention and crypto-shredding (T-32), holds."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from therapia.accounts.models import Practice
from therapia.audit.models import Action, AuditEvent, Purpose
from therapia.clients.models import Client
from therapia.core import factories
from therapia.core.testing import Personas
from therapia.security import crypto, keyring
from therapia.security.crypto import retention, shredding
from therapia.security.keyring import KeyClass
from therapia.security.models import ClientDataKey, LegalHold, ShredReason

LABEL = "records.ProgressNote"


def keys(*args: str) -> str:
    out = io.StringIO()
    call_command("keys", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def own_keys(settings, tmp_path):
    """A key directory of this test's own, so adding master keys touches nobody else."""
    settings.KEYS_DIR = tmp_path / "keys"
    keyring.write_master_key(settings.KEYS_DIR, KeyClass.CLINICAL, "1")
    keyring.write_master_key(settings.KEYS_DIR, KeyClass.PSYCHOTHERAPY_NOTES, "1")
    return settings.KEYS_DIR


def encrypt_for(clients: list[Client], key_class: KeyClass = KeyClass.CLINICAL):
    sealed = []
    for n, client in enumerate(clients):
        record = uuid.uuid4()
        sealed.append((client, record, crypto.encrypt_text(
            client=client, key_class=key_class, model_label=LABEL, record_id=record,
            field="body", plaintext=f"note {n}")))
    return sealed


def all_decrypt(sealed, key_class: KeyClass = KeyClass.CLINICAL) -> bool:
    return all(
        crypto.decrypt_text(client=c, key_class=key_class, model_label=LABEL, record_id=r,
                            field="body", ciphertext=blob) == f"note {n}"
        for n, (c, r, blob) in enumerate(sealed)
    )


def test_t34_rotation_rewraps_every_key_and_old_data_still_decrypts(personas: Personas,
                                                                      own_keys) -> None:
    clients = [personas.dana, *factories.ClientFactory.create_batch(4, practice=personas.practice)]
    sealed = encrypt_for(clients)
    pn_sealed = encrypt_for(clients[:2], KeyClass.PSYCHOTHERAPY_NOTES)
    assert set(ClientDataKey.objects.values_list("master_key_id", flat=True)) == {"1"}
    keyring.write_master_key(own_keys, KeyClass.CLINICAL, "2")

    out = keys("rotate", "--class", "clinical", "--batch-size", "2")

    assert "clinical: 2 re-wrapped under 2 (1 batches)" in out
    assert "clinical: done, 5 re-wrapped under 2; 0 left" in out
    clinical = ClientDataKey.objects.filter(key_class=KeyClass.CLINICAL)
    assert set(clinical.values_list("master_key_id", flat=True)) == {"2"}
    pn = ClientDataKey.objects.filter(key_class=KeyClass.PSYCHOTHERAPY_NOTES)
    assert set(pn.values_list("master_key_id", flat=True)) == {"1"}  # --class respected
    assert all_decrypt(sealed) and all_decrypt(pn_sealed, KeyClass.PSYCHOTHERAPY_NOTES)
    batches = AuditEvent.objects.filter(object_type="security.ClientDataKey",
                                        action=Action.UPDATE)
    assert batches.count() == 3 and all(e.purpose == Purpose.SYSTEM for e in batches)
    assert {e.actor_label for e in batches} == {"system:keys rotate"}

    # Idempotent: nothing left to do. And the old master key can now go.
    assert "done, 0 re-wrapped under 2; 0 left" in keys("rotate", "--class", "clinical")
    status = keys("status")
    assert "clinical: master keys 1, 2 (current 2" in status
    assert "5 data keys under 2" in status and "no data key uses 1" in status
    (own_keys / keyring.key_file_name(KeyClass.CLINICAL, "1")).unlink()
    keyring.reset()
    assert all_decrypt(sealed)


def test_status_counts_destroyed_keys(personas: Personas, own_keys) -> None:
    encrypt_for([personas.dana])
    shredding.client_data_keys_shred(actor=None, client=personas.dana,
                                     reason=ShredReason.ERASURE_REQUEST)
    out = keys("status")
    assert "clinical: master keys 1 (current 1" in out
    assert out.count("1 destroyed (crypto-shredded)") == 2


def test_new_master_writes_a_newer_key(personas: Personas, own_keys) -> None:
    out = keys("new-master", "--class", "psychotherapy_notes")
    assert "therapia keys rotate --class psychotherapy_notes" in out
    store = keyring.provider(KeyClass.PSYCHOTHERAPY_NOTES)
    assert len(store.key_ids()) == 2 and store.current_key_id() != "1"


def long_gone(client: Client, *, registered: dt.date) -> Client:
    """An inactive client registered on `registered` and not seen since."""
    moment = dt.datetime.combine(registered, dt.time(12), tzinfo=dt.UTC)
    Client.objects.filter(pk=client.pk).update(is_active=False, created_at=moment)
    client.refresh_from_db()
    return client


@pytest.fixture
def retention_world(personas: Personas):
    """Riverside is in England (GB-ENG: 20 years, and not before the 25th birthday)."""
    practice = personas.practice
    due = long_gone(factories.ClientFactory.create(practice=practice),
                    registered=dt.date(2000, 1, 3))
    recent = long_gone(factories.ClientFactory.create(practice=practice),
                       registered=dt.date(2000, 1, 3))
    seen = factories.AppointmentFactory.create(
        practice=practice, clients=[recent], clinicians=[personas.owner],
        starts_at=timezone.now() - dt.timedelta(days=365 * 10))
    seen.status = "attended"
    seen.save()
    young = long_gone(factories.ClientFactory.create(practice=practice,
                                                     date_of_birth=dt.date(1995, 6, 1)),
                      registered=dt.date(2000, 1, 3))  # 25th birthday in 2020: still due
    held = long_gone(factories.ClientFactory.create(practice=practice),
                     registered=dt.date(2000, 1, 3))
    shredding.legal_hold_place(actor=None, client=held, reason="Claim 2026/114")
    elsewhere = Practice.objects.create(name="Bay Therapy", jurisdiction="US-CA")
    long_gone(factories.ClientFactory.create(practice=elsewhere), registered=dt.date(2000, 1, 3))
    encrypt_for([due, recent, young, held])
    return {"due": due, "recent": recent, "young": young, "held": held}


def test_retention_assessment(retention_world) -> None:
    found = retention.clients_past_retention()
    assert {d.client for d in found.due} == {retention_world["due"], retention_world["young"]}
    assert found.held == 1 and found.not_yet == 1 and found.unassessed == {"US-CA": 1}
    item = next(d for d in found.due if d.client == retention_world["due"])
    assert item.last_contact == dt.date(2000, 1, 3)
    assert item.may_destroy_from == dt.date(2020, 1, 4)
    assert "Records Management Code of Practice 2021" in item.rule.source


def test_shred_due_is_a_dry_run_unless_confirmed(retention_world) -> None:
    out = keys("shred", "--due")
    assert "2 past retention" in out and "dry run: nothing destroyed" in out
    assert "1 inactive client(s) in US-CA not assessed" in out
    assert not ClientDataKey.objects.filter(destroyed_at__isnull=False).exists()

    out = keys("shred", "--due", "--yes")
    assert "crypto-shredded 2 client(s)" in out
    destroyed = set(ClientDataKey.objects.filter(destroyed_at__isnull=False)
                    .values_list("client_id", flat=True))
    assert destroyed == {retention_world["due"].pk, retention_world["young"].pk}
    rows = AuditEvent.objects.filter(action=Action.DELETE, client_id=retention_world["due"].pk)
    assert rows.count() == 2 and {r.actor_label for r in rows} == {"system:keys shred"}
    assert "0 past retention" in keys("shred", "--due")  # done: not listed again


def test_hold_and_release_from_the_command_line(retention_world) -> None:
    due = retention_world["due"]
    assert "placed" in keys("hold", "--client", str(due.public_id), "--reason", "Inquiry 7")
    assert "1 past retention" in keys("shred", "--due")
    assert "released 1 legal hold(s)" in keys("release", "--client", str(due.public_id))
    assert LegalHold.objects.filter(client=due, released_at__isnull=False).exists()
    assert "2 past retention" in keys("shred", "--due")
    with pytest.raises(CommandError, match="No client"):
        keys("hold", "--client", str(uuid.uuid4()), "--reason", "x")


def test_the_year_rule_handles_leap_days() -> None:
    rule = retention.RetentionRule("XX", 1, None, "test")
    assert retention.retention_ends_on(rule, last_contact=dt.date(2024, 2, 29),
                                       born=dt.date(1990, 1, 1)) == dt.date(2025, 3, 1)


@pytest.mark.parametrize(("code", "expected"), [("GB-ENG", "GB-ENG"), ("DE-BY", "DE"),
                                                ("DE", "DE"), ("GB-SCT", None), ("US-CA", None)])
def test_the_most_specific_rule_applies(code: str, expected: str | None) -> None:
    rule = retention.rule_for(code, retention.configured_rules({}))
    assert (rule.jurisdiction if rule else None) == expected


def test_operators_configure_other_jurisdictions(settings) -> None:
    settings.RETENTION_YEARS = {"US-CA": 7}
    rule = retention.rule_for("US-CA", retention.configured_rules())
    assert rule is not None and rule.years_after_last_contact == 7
    settings.RETENTION_YEARS = {"California": 7}
    with pytest.raises(Exception, match="ISO 3166"):
        retention.configured_rules()
