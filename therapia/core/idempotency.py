"""A retried form submission is stored once.

Each create form carries a one-time token. The first submission records the token with the
id of what it created, in the same transaction; a retry finds the token and is sent to the
existing record instead of creating a second one.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction

from therapia.core.models import SubmittedForm


def new_token() -> str:
    return str(uuid.uuid4())


def parse_token(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


def previous_result(*, token: uuid.UUID | None, user_id: int) -> uuid.UUID | None:
    if token is None:
        return None
    found = SubmittedForm.objects.filter(token=token, actor_user_id=user_id).first()
    return found.result_public_id if found else None


def remember(*, token: uuid.UUID | None, user_id: int, result_public_id: uuid.UUID) -> None:
    """Record the token inside the caller's transaction; a concurrent duplicate fails here."""
    if token is None:
        return
    with transaction.atomic():
        try:
            SubmittedForm.objects.create(
                token=token, actor_user_id=user_id, result_public_id=result_public_id
            )
        except IntegrityError as error:
            raise DuplicateSubmission from error


class DuplicateSubmission(Exception):
    """The same form was submitted twice at once; the first one won."""
