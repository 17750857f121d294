"""A model's encrypted field, in one call: the ciphertext is bound to the record's model,
public id and field name, under the data key of the client the record belongs to. An
empty text is stored as empty bytes rather than as a ciphertext of nothing."""

from __future__ import annotations

import base64

from django.db.models import Model

from therapia.clients.models import Client
from therapia.security.crypto.envelope import decrypt_text, encrypt_text
from therapia.security.keyring import KeyClass


def _id(record: Model) -> str:
    return str(record.public_id)  # type: ignore[attr-defined]  # every BaseModel has one


def seal(record: Model, field: str, text: str, *, client: Client,
         key_class: KeyClass = KeyClass.CLINICAL) -> bytes:
    if not text:
        return b""
    return encrypt_text(client=client, key_class=key_class, model_label=record._meta.label,
                        record_id=_id(record), field=field, plaintext=text)


def unseal(record: Model, field: str, *, client: Client,
           key_class: KeyClass = KeyClass.CLINICAL) -> str:
    """The field's text ("" when empty). Raises DataKeyDestroyed once shredded."""
    blob = bytes(getattr(record, field) or b"")
    if not blob:
        return ""
    return decrypt_text(client=client, key_class=key_class, model_label=record._meta.label,
                        record_id=_id(record), field=field, ciphertext=blob)


def seal_bytes(record: Model, field: str, data: bytes, *, client: Client,
               key_class: KeyClass = KeyClass.CLINICAL) -> bytes:
    """Binary content (a scanned document): base85 text inside the same envelope."""
    return seal(record, field, base64.b85encode(data).decode("ascii"), client=client,
                key_class=key_class)


def unseal_bytes(record: Model, field: str, *, client: Client,
                 key_class: KeyClass = KeyClass.CLINICAL) -> bytes:
    return base64.b85decode(unseal(record, field, client=client, key_class=key_class))
