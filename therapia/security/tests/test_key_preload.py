"""Loading many clients' data keys at once gives the same keys as one at a time."""

from __future__ import annotations

import uuid

import pytest

from therapia.core import factories
from therapia.core.testing import Personas
from therapia.security import crypto
from therapia.security.models import ClientDataKey

pytestmark = pytest.mark.django_db
CLINICAL = crypto.KeyClass.CLINICAL


def seal(client, record_id: uuid.UUID, text: str) -> bytes:  # type: ignore[no-untyped-def]
    return crypto.encrypt_text(client=client, key_class=CLINICAL, model_label="test.Thing",
                               record_id=record_id, field="text", plaintext=text)


def test_preloaded_keys_are_the_clients_own(personas: Personas,
                                            django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    known = personas.dana
    others = factories.ClientFactory.create_batch(5, practice=personas.practice)
    ids = {c.pk: uuid.uuid4() for c in [known, *others]}
    with crypto.key_cache():
        before = seal(known, ids[known.pk], "written before")  # Dana already has a key
    with crypto.key_cache():
        with django_assert_max_num_queries(3):
            crypto.preload_keys([known, *others], CLINICAL)
        with django_assert_max_num_queries(0):  # every key is in the cache now
            sealed = {c.pk: seal(c, ids[c.pk], f"text of {c.pk}") for c in [known, *others]}
            assert crypto.decrypt_text(client=known, key_class=CLINICAL, model_label="test.Thing",
                                       record_id=ids[known.pk], field="text",
                                       ciphertext=before) == "written before"
    assert ClientDataKey.objects.filter(key_class=CLINICAL).count() >= 6
    with crypto.key_cache():  # read back the ordinary way, one key at a time
        for client in [known, *others]:
            assert crypto.decrypt_text(
                client=client, key_class=CLINICAL, model_label="test.Thing",
                record_id=ids[client.pk], field="text",
                ciphertext=sealed[client.pk]) == f"text of {client.pk}"


def test_preloading_needs_a_key_cache(personas: Personas) -> None:
    with pytest.raises(RuntimeError):
        crypto.preload_keys([personas.dana], CLINICAL)
