"""A retried form submission is stored once.

Each create form carries a one-time token. The first submission records the token with the
id of what it created, in the same transaction; a retry finds the token and is sent to the
existing record instead of creating a second one.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from therapia.core.models import SubmittedForm

if TYPE_CHECKING:
    from therapia.core.http import AuthedRequest


def new_token() -> str:
    return str(uuid.uuid4())


def parse_token(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


def submitted_token(request: HttpRequest) -> uuid.UUID | None:
    """The token the posted form carried (None if it carried none, or a broken one)."""
    return parse_token(request.POST.get("form_token"))


def form_token(request: HttpRequest) -> str:
    """The token for the form on the page: the one posted again, so a re-rendered form with
    errors keeps its token, or a new one."""
    return request.POST.get("form_token") or new_token()


def earlier_result(request: AuthedRequest) -> uuid.UUID | None:
    """What this form created the first time, when the request is a retry of it."""
    return previous_result(token=submitted_token(request), user_id=request.user.pk)


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


def remember_submission(request: AuthedRequest, *, result_public_id: uuid.UUID) -> None:
    """`remember` for the form this request posted."""
    remember(token=submitted_token(request), user_id=request.user.pk,
             result_public_id=result_public_id)


class DuplicateSubmission(Exception):
    """The same form was submitted twice at once; the first one won."""
