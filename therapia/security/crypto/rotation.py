"""Master-key rotation: re-wrap every live data key under the newest master key.

The data keys themselves do not change, so no ciphertext is touched and the app keeps
serving throughout: each batch is its own short transaction that locks only the rows it
re-wraps (SELECT ... FOR UPDATE SKIP LOCKED, so it never waits on, or blocks, a shred in
progress); readers never lock and unwrap either version, because both master keys are
configured while the rotation runs. Running it again is harmless: rows already under the
newest key are not selected. Rows skipped because they were locked are retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.security import keyring
from therapia.security.crypto.envelope import key_context
from therapia.security.keyring import KeyClass
from therapia.security.models import ClientDataKey

DEFAULT_BATCH = 500


@dataclass
class Rotation:
    key_class: KeyClass
    target_key_id: str
    rewrapped: int = 0
    batches: int = 0
    remaining: int = 0


def rewrap_batch(key_class: KeyClass, *, target: str, size: int) -> int:
    """Re-wrap up to `size` rows in one transaction. Returns how many."""
    store = keyring.provider(key_class)
    with transaction.atomic():
        rows = list(
            ClientDataKey.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(key_class=key_class, destroyed_at__isnull=True)
            .exclude(master_key_id=target)
            .select_related("client")
            .order_by("pk")[:size]
        )
        if not rows:
            return 0
        now = timezone.now()
        for row in rows:
            context = key_context(row.client.public_id, key_class)
            wrapped = store.wrap(store.unwrap(bytes(row.wrapped_key), context), context)
            row.wrapped_key, row.master_key_id, row.updated_at = wrapped.blob, wrapped.key_id, now
        ClientDataKey.objects.bulk_update(rows, ["wrapped_key", "master_key_id", "updated_at"])
        audit_record(actor=None, action=Action.UPDATE, purpose=Purpose.SYSTEM,
                     object_type="security.ClientDataKey",
                     fields=["master_key_id", "wrapped_key", f"key_class:{key_class}",
                             f"rewrapped:{len(rows)}", f"to:{target}"])
        return len(rows)


def rotate(key_class: KeyClass, *, batch_size: int = DEFAULT_BATCH, pause: float = 0.0,
           retries: int = 5, progress: Callable[[Rotation], None] | None = None) -> Rotation:
    store = keyring.provider(key_class)
    store.refresh()  # the master key an operator has just added
    result = Rotation(key_class=key_class, target_key_id=store.current_key_id())
    attempts = 0
    while True:
        done = rewrap_batch(key_class, target=result.target_key_id, size=batch_size)
        if done:
            result.rewrapped += done
            result.batches += 1
            if progress:
                progress(result)
            if pause:
                time.sleep(pause)  # leave room for the app on a small machine
            continue
        result.remaining = ClientDataKey.objects.filter(
            key_class=key_class, destroyed_at__isnull=True
        ).exclude(master_key_id=result.target_key_id).count()
        if result.remaining == 0 or attempts >= retries:
            return result
        attempts += 1  # some rows were locked by another transaction: try them again
        time.sleep(0.2 * attempts)
