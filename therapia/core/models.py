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


class RateLimitCounter(models.Model):
    """Hits for one (scope, key) in the current and the previous window (core/ratelimit.py).

    The key is an HMAC of what is limited (an address, an account, an e-mail), never the
    value itself. The table is UNLOGGED (migration 0002): after a database crash it starts
    empty, which only forgets recent hits.
    """

    scope = models.CharField(max_length=64)
    key_digest = models.CharField(max_length=64)
    window_index = models.BigIntegerField(help_text="Whole windows since the epoch")
    current = models.PositiveIntegerField(help_text="Hits in window_index")
    previous = models.PositiveIntegerField(help_text="Hits in the window before it")
    expires_at = models.DateTimeField(db_index=True, help_text="Both windows are over")

    class Meta:
        ordering = ("expires_at",)
        constraints = [
            models.UniqueConstraint(fields=["scope", "key_digest"], name="ratelimit_scope_key"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key_digest[:8]}"


class PeriodicRun(models.Model):
    """When each clock-driven job last ran (core/periodic.py), so that two runners never run
    the same job twice: a runner claims the row with SELECT … FOR UPDATE SKIP LOCKED."""

    name = models.CharField(max_length=100, unique=True)
    last_started_at = models.DateTimeField(null=True)
    last_finished_at = models.DateTimeField(null=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name
