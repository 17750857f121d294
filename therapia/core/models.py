"""The base of every domain model: an internal key, a public UUID for URLs, timestamps."""

from __future__ import annotations

import uuid

from django.db import models


class BaseModel(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ("created_at",)


class SubmittedForm(models.Model):
    """A form's one-time token, so a retried submission is stored once (core/idempotency.py)."""

    token = models.UUIDField(unique=True)
    actor_user_id = models.BigIntegerField()
    result_public_id = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at",)

    def __str__(self) -> str:
        return str(self.token)
