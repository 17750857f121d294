"""Field encryption under per-client data keys: AAD binding, the separate psychotherapy-note
master key, crypto-shredding and legal holds (spec T-31, T-32)."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import PermissionDenied

from therapia.audit.models import Action, AuditEvent, Purpose
from therapia.core import factories
from therapia.core.testing import Personas
from therapia.security import crypto, keyring
from therapia.security.crypto import envelope, shredding
from therapia.security.keyring import KeyClass
from therapia.security.models import ClientDataKey, ShredReason

LABEL = "records.ProgressNote"
CLINICAL = KeyClass.CLINICAL
PN = KeyClass.PSYCHOTHERAPY_NOTES


def seal(client, text="Talked about the move to Leeds.", *, record_id=None, field="body",
         key_class=CLINICAL, label=LABEL) -> tuple[bytes, uuid.UUID]:
    record = record_id or uuid.uuid4()
    return crypto.encrypt_text(client=client, key_class=key_class, model_label=label,
                               record_id=record, field=field, plaintext=text), record


def open_(client, ciphertext, record_id, *, field="body", key_class=CLINICAL, label=LABEL):
    return crypto.decrypt_text(client=client, key_class=key_class, model_label=label,
                               record_id=record_id, field=field, ciphertext=ciphertext)


def test_round_trip_and_no_plaintext_in_the_ciphertext(personas: Personas) -> None:
    text = "Ünïcode ✓ — CANARY-ENC-7f3a"
    ciphertext, record = seal(personas.dana, text)
    assert b"CANARY" not in ciphertext and text.encode() not in ciphertext
    assert ciphertext[0] == 1 and len(ciphertext) == 1 + 12 + len(text.encode()) + 16
    assert open_(personas.dana, ciphertext, record) == text
    # A fresh nonce each time: the same text never gives the same ciphertext.
    assert seal(personas.dana, text, record_id=record)[0] != ciphertext


def test_t31_ciphertext_moved_to_another_record_fails(personas: Personas) -> None:
    ciphertext, _record = seal(personas.dana)
    with pytest.raises(crypto.DecryptionFailed, match="does not belong"):
        open_(personas.dana, ciphertext, uuid.uuid4())


def test_t31_ciphertext_moved_to_another_field_or_model_fails(personas: Personas) -> None:
    ciphertext, record = seal(personas.dana, field="body")
    with pytest.raises(crypto.DecryptionFailed):
        open_(personas.dana, ciphertext, record, field="summary")
    with pytest.raises(crypto.DecryptionFailed):
        open_(personas.dana, ciphertext, record, label="records.Assessment")


def test_t31_ciphertext_moved_to_another_client_fails(personas: Personas) -> None:
    other = factories.ClientFactory.create(practice=personas.practice)
    seal(other)  # the other client has a data key of their own
    ciphertext, record = seal(personas.dana)
    with pytest.raises(crypto.DecryptionFailed):
        open_(other, ciphertext, record)


def test_t31_a_flipped_bit_fails(personas: Personas) -> None:
    ciphertext, record = seal(personas.dana)
    for position in (1, 13, len(ciphertext) - 1):  # nonce, body, tag
        tampered = bytearray(ciphertext)
        tampered[position] ^= 0x01
        with pytest.raises(crypto.DecryptionFailed):
            open_(personas.dana, bytes(tampered), record)
    with pytest.raises(crypto.DecryptionFailed, match="format"):
        open_(personas.dana, b"\x02" + ciphertext[1:], record)


def test_a_wrapped_data_key_copied_to_another_client_does_not_unwrap(personas: Personas
                                                                     ) -> None:
    other = factories.ClientFactory.create(practice=personas.practice)
    seal(personas.dana)
    ciphertext, record = seal(other)
    dana_key = ClientDataKey.objects.get(client=personas.dana, key_class=CLINICAL)
    ClientDataKey.objects.filter(client=other, key_class=CLINICAL).update(
        wrapped_key=dana_key.wrapped_key)
    with pytest.raises(crypto.DecryptionFailed, match="does not unwrap"):
        open_(other, ciphertext, record)


def test_data_keys_are_stored_wrapped_only(personas: Personas) -> None:
    ciphertext, record = seal(personas.dana)
    row = ClientDataKey.objects.get(client=personas.dana, key_class=CLINICAL)
    with crypto.key_cache():
        aead = envelope._aead(personas.dana, CLINICAL, create=False)
    blob = bytes(row.wrapped_key)
    # The blob names its master key, then holds nonce + wrapped key + tag: no raw key.
    assert blob[2:2 + blob[1]].decode() == row.master_key_id
    assert len(blob) == 2 + blob[1] + 12 + 32 + 16
    assert open_(personas.dana, ciphertext, record) == "Talked about the move to Leeds."
    assert aead is not None


def test_psychotherapy_notes_use_a_separate_master_key(personas: Personas) -> None:
    seal(personas.dana, key_class=CLINICAL)
    ciphertext, record = seal(personas.dana, "process note", key_class=PN,
                              label="records.PsychotherapyNote")
    clinical = ClientDataKey.objects.get(client=personas.dana, key_class=CLINICAL)
    notes = ClientDataKey.objects.get(client=personas.dana, key_class=PN)
    assert notes.wrapped_key != clinical.wrapped_key
    pn_store, clinical_store = keyring.provider(PN), keyring.provider(CLINICAL)
    context = envelope.key_context(personas.dana.public_id, PN)
    assert len(pn_store.unwrap(bytes(notes.wrapped_key), context)) == 32
    # The clinical master key cannot open the psychotherapy-note data key, even when told
    # it is a psychotherapy-note key (different key material, different class in the AAD).
    with pytest.raises((keyring.UnwrapFailed, keyring.MasterKeyUnavailable)):
        clinical_store.unwrap(bytes(notes.wrapped_key), context)
    assert isinstance(pn_store, keyring.LocalMasterKeyProvider)
    assert isinstance(clinical_store, keyring.LocalMasterKeyProvider)
    assert not pn_store.material() & clinical_store.material()
    # A ciphertext of one class never opens under the other class's data key.
    with pytest.raises(crypto.DecryptionFailed):
        open_(personas.dana, ciphertext, record, label="records.PsychotherapyNote")
    assert open_(personas.dana, ciphertext, record, key_class=PN,
                 label="records.PsychotherapyNote") == "process note"


def test_the_key_cache_unwraps_once_per_client(personas: Personas,
                                               django_assert_num_queries) -> None:
    sealed = [seal(personas.dana, f"note {n}") for n in range(5)]
    with crypto.key_cache(), django_assert_num_queries(1):
        assert [open_(personas.dana, c, r) for c, r in sealed] == [f"note {n}" for n in range(5)]


def test_t32_shredding_makes_decrypt_fail_clearly_and_is_audited(personas: Personas) -> None:
    ciphertext, record = seal(personas.dana)
    destroyed = shredding.client_data_keys_shred(
        actor=personas.actor("owner"), client=personas.dana,
        reason=ShredReason.RETENTION_EXPIRED)
    assert {row.key_class for row in destroyed} == {CLINICAL, PN}  # PN: a tombstone
    row = ClientDataKey.objects.get(client=personas.dana, key_class=CLINICAL)
    assert bytes(row.wrapped_key) == b"" and row.master_key_id == ""
    assert row.destroyed_reason == ShredReason.RETENTION_EXPIRED
    with pytest.raises(crypto.DataKeyDestroyed, match=r"destroyed .*crypto-shredding"):
        open_(personas.dana, ciphertext, record)
    with pytest.raises(crypto.DataKeyDestroyed):  # nothing new can be written either
        seal(personas.dana, key_class=PN)
    audit = AuditEvent.objects.filter(client_id=personas.dana.pk, action=Action.DELETE)
    assert audit.count() == 2
    assert all(e.purpose == Purpose.OPERATIONS and "reason:retention_expired" in e.fields
               and e.object_type == "security.ClientDataKey" for e in audit)
    # Shredding again changes nothing and writes nothing.
    assert shredding.client_data_keys_shred(actor=None, client=personas.dana,
                                            reason=ShredReason.RETENTION_EXPIRED) == []
    assert audit.count() == 2


def test_legal_hold_blocks_shredding_until_released(personas: Personas) -> None:
    ciphertext, record = seal(personas.dana)
    owner = personas.actor("owner")
    hold = shredding.legal_hold_place(actor=owner, client=personas.dana, reason="Claim 2026/114")
    with pytest.raises(shredding.LegalHoldActive):
        shredding.client_data_keys_shred(actor=owner, client=personas.dana,
                                         reason=ShredReason.RETENTION_EXPIRED)
    assert open_(personas.dana, ciphertext, record) == "Talked about the move to Leeds."
    shredding.legal_hold_release(actor=owner, hold=hold)
    shredding.client_data_keys_shred(actor=owner, client=personas.dana,
                                     reason=ShredReason.RETENTION_EXPIRED)
    with pytest.raises(crypto.DataKeyDestroyed):
        open_(personas.dana, ciphertext, record)
    kinds = list(AuditEvent.objects.filter(client_id=personas.dana.pk)
                 .values_list("object_type", "action"))
    assert ("security.LegalHold", Action.CREATE) in kinds
    assert ("security.LegalHold", Action.UPDATE) in kinds


@pytest.mark.parametrize("persona", ["colleague", "front_desk", "trainee", "outsider"])
def test_only_the_practice_owner_shreds_or_holds(personas: Personas, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        shredding.client_data_keys_shred(actor=personas.actor(persona), client=personas.dana,
                                         reason=ShredReason.ERASURE_REQUEST)
    with pytest.raises(PermissionDenied):
        shredding.legal_hold_place(actor=personas.actor(persona), client=personas.dana,
                                   reason="x")
    assert not ClientDataKey.objects.filter(destroyed_at__isnull=False).exists()
