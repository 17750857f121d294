"""Field encryption: AES-256-GCM under a per-client data key.

A ciphertext is: format byte (1), 12-byte random nonce, ciphertext + 16-byte tag. The
associated data binds it to where it belongs (key class, model label, record public id,
field), so a ciphertext copied to another row or field, or another client, fails to
decrypt instead of showing the wrong text.

Data keys are created on first use, wrapped under the class's master key, and unwrapped on
each use. Inside `key_cache()` an unwrapped key is kept in memory for the rest of the block
(a page decrypting a hundred notes unwraps once); nothing unwrapped is ever stored.
"""

from __future__ import annotations

import contextvars
import logging
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from therapia.security import keyring
from therapia.security.keyring import KeyClass
from therapia.security.models import ClientDataKey

if TYPE_CHECKING:
    import datetime as dt

    from therapia.clients.models import Client

logger = logging.getLogger(__name__)

FORMAT = 1
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionFailed(Exception):
    """The ciphertext does not belong to this record and field, or was altered."""


class DataKeyDestroyed(DecryptionFailed):
    """The client's data key was destroyed (crypto-shredded): the data is gone for good."""

    def __init__(self, *, key_class: str, destroyed_at: dt.datetime | None) -> None:
        when = f" on {destroyed_at:%Y-%m-%d}" if destroyed_at else ""
        super().__init__(
            f"This client's {key_class} data key was destroyed{when} (crypto-shredding): "
            "data encrypted under it can no longer be read or written."
        )
        self.key_class = key_class
        self.destroyed_at = destroyed_at


_cache: contextvars.ContextVar[dict[tuple[int, str], AESGCM] | None] = contextvars.ContextVar(
    "data_key_cache", default=None
)


@contextmanager
def key_cache() -> Iterator[None]:
    """Keep unwrapped data keys in memory until the block ends (one request, one job)."""
    token = _cache.set({})
    try:
        yield
    finally:
        _cache.reset(token)


def forget_cached(client_pk: int) -> None:
    cache = _cache.get()
    if cache is not None:
        for key in [k for k in cache if k[0] == client_pk]:
            del cache[key]


def key_context(client_public_id: uuid.UUID, key_class: str) -> dict[str, str]:
    """Authenticated with every wrap: a wrapped key belongs to one client and one class."""
    return {"client": str(client_public_id), "key_class": str(key_class)}


def associated_data(*, key_class: str, model_label: str, record_id: uuid.UUID | str,
                    field: str) -> bytes:
    parts = [f"therapia-field-v{FORMAT}", str(key_class), model_label, str(record_id), field]
    encoded = [part.encode() for part in parts]
    return b"".join(len(part).to_bytes(2, "big") + part for part in encoded)


def preload_keys(clients: list[Client], key_class: KeyClass) -> None:
    """Load (creating where missing) the data keys of many clients at once, into the
    current key_cache: two queries and one bulk insert instead of one or two queries per
    client. For bulk writers such as the demo seeder; call inside key_cache()."""
    cache = _cache.get()
    if cache is None:
        raise RuntimeError("preload_keys needs an active key_cache()")
    store = keyring.provider(key_class)
    by_pk = {client.pk: client for client in clients}
    have = {row.client_id for row in ClientDataKey.objects.filter(
        client_id__in=by_pk, key_class=key_class).only("client_id")}
    fresh: dict[int, bytes] = {}
    rows = []
    for pk in by_pk.keys() - have:
        fresh[pk] = AESGCM.generate_key(bit_length=256)
        wrapped = store.wrap(fresh[pk], key_context(by_pk[pk].public_id, key_class))
        rows.append(ClientDataKey(client_id=pk, key_class=key_class, wrapped_key=wrapped.blob,
                                  master_key_id=wrapped.key_id))
    ClientDataKey.objects.bulk_create(rows, batch_size=1000)
    for pk, dek in fresh.items():
        cache[(pk, str(key_class))] = AESGCM(dek)
    for row in ClientDataKey.objects.filter(client_id__in=have, key_class=key_class,
                                            destroyed_at__isnull=True):
        context = key_context(by_pk[row.client_id].public_id, key_class)
        cache[(row.client_id, str(key_class))] = AESGCM(
            store.unwrap(bytes(row.wrapped_key), context))


def _aead(client: Client, key_class: KeyClass, *, create: bool) -> AESGCM:
    cache = _cache.get()
    slot = (client.pk, str(key_class))
    if cache is not None and slot in cache:
        return cache[slot]
    store = keyring.provider(key_class)
    context = key_context(client.public_id, key_class)
    row = ClientDataKey.objects.filter(client=client, key_class=key_class).first()
    dek: bytes | None = None
    if row is None:
        if not create:
            raise DecryptionFailed(f"This client has no {key_class} data key")
        fresh = AESGCM.generate_key(bit_length=256)
        wrapped = store.wrap(fresh, context)
        row, created = ClientDataKey.objects.get_or_create(
            client=client, key_class=key_class,
            defaults={"wrapped_key": wrapped.blob, "master_key_id": wrapped.key_id},
        )
        if created:
            dek = fresh
    if row.destroyed_at is not None:
        raise DataKeyDestroyed(key_class=key_class, destroyed_at=row.destroyed_at)
    if dek is None:
        try:
            dek = store.unwrap(bytes(row.wrapped_key), context)
        except keyring.UnwrapFailed as error:
            raise DecryptionFailed(f"The {key_class} data key does not unwrap") from error
    aead = AESGCM(dek)
    if cache is not None:
        cache[slot] = aead
    return aead


def encrypt_text(*, client: Client, key_class: KeyClass, model_label: str,
                 record_id: uuid.UUID | str, field: str, plaintext: str) -> bytes:
    aead = _aead(client, key_class, create=True)
    nonce = secrets.token_bytes(NONCE_BYTES)
    aad = associated_data(key_class=key_class, model_label=model_label, record_id=record_id,
                          field=field)
    return bytes([FORMAT]) + nonce + aead.encrypt(nonce, plaintext.encode("utf-8"), aad)


def decrypt_text(*, client: Client, key_class: KeyClass, model_label: str,
                 record_id: uuid.UUID | str, field: str, ciphertext: bytes | memoryview) -> str:
    blob = bytes(ciphertext)
    if len(blob) < 1 + NONCE_BYTES + TAG_BYTES or blob[0] != FORMAT:
        raise DecryptionFailed("Not a ciphertext of a known format")
    aead = _aead(client, key_class, create=False)
    aad = associated_data(key_class=key_class, model_label=model_label, record_id=record_id,
                          field=field)
    try:
        plain = aead.decrypt(blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:], aad)
    except InvalidTag as error:
        # Ids only, never text: a moved or altered ciphertext is worth an operator's look.
        logger.warning("ciphertext refused: %s %s field %s", model_label, record_id, field)
        raise DecryptionFailed(
            "The ciphertext does not belong to this record and field, or was altered"
        ) from error
    return plain.decode("utf-8")
