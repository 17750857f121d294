"""The shared step of every "change these fields" service: lock the stored row, apply the
values that differ, validate, and save only those fields. The service writes the audit row
with the names this returns (house rules 1 and 2)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def model_update(
    *, instance: M, data: Mapping[str, Any], validate: Callable[[M], None] | None = None
) -> tuple[M, list[str]]:
    """Returns the saved row and the names of the fields that changed (none: nothing saved).
    Call inside the service's transaction."""
    stored = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    changed = [name for name, value in data.items() if getattr(stored, name) != value]
    if not changed:
        return stored, changed
    for name in changed:
        setattr(stored, name, data[name])
    if validate is not None:
        validate(stored)
    stored.full_clean()
    stored.save(update_fields=[*changed, "updated_at"])
    return stored, changed
