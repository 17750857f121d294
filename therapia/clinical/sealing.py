"""Narrative fields of clinical records, sealed under the client's clinical data key.

Each ciphertext is bound to its model, its record's public id and its field (associated
data), so a value copied to another record or field does not decrypt. An empty field is
stored as empty bytes, not as a ciphertext.
"""

from __future__ import annotations

import json

from therapia.clinical.models import Assessment, AssessmentAddendum, Medication, SafetyPlanVersion
from therapia.security import crypto

# The records with sealed fields; each has a public id and a client, whose key seals them.
Sealed = Assessment | AssessmentAddendum | SafetyPlanVersion | Medication


def seal(record: Sealed, field: str, text: str) -> bytes:
    return crypto.seal(record, field, text, client=record.client)


def unseal(record: Sealed, field: str) -> str:
    """The field's text ("" when empty). Raises crypto.DataKeyDestroyed once shredded."""
    return crypto.unseal(record, field, client=record.client)


def seal_json(record: Sealed, field: str, value: dict[str, str]) -> bytes:
    kept = {key: text for key, text in value.items() if text}
    return seal(record, field, json.dumps(kept, sort_keys=True)) if kept else b""


def unseal_json(record: Sealed, field: str) -> dict[str, str]:
    text = unseal(record, field)
    loaded = json.loads(text) if text else {}
    return {str(key): str(value) for key, value in loaded.items()}
