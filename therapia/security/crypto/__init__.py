"""Encryption at rest for clinical free text (envelope encryption, crypto-shredding).

    envelope    encrypt_text / decrypt_text under a per-client data key; key_cache()
    fields      seal / unseal a model's field in one call (bound to model, id and field)
    rotation    re-wrap data keys under the newest master key (`therapia keys rotate`)
    retention   retention rules per jurisdiction; who is past them
    shredding   destroy a client's data keys; legal holds

Master keys: therapia/security/keyring.py.
"""

from __future__ import annotations

from therapia.security.crypto.envelope import (
    DataKeyDestroyed,
    DecryptionFailed,
    decrypt_text,
    encrypt_text,
    key_cache,
    preload_keys,
)
from therapia.security.crypto.fields import seal, seal_bytes, unseal, unseal_bytes
from therapia.security.keyring import KeyClass

__all__ = [
    "DataKeyDestroyed",
    "DecryptionFailed",
    "KeyClass",
    "decrypt_text",
    "encrypt_text",
    "key_cache",
    "preload_keys",
    "seal",
    "seal_bytes",
    "unseal",
    "unseal_bytes",
]
