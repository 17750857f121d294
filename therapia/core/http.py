"""Typed requests, so views say what they rely on."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from therapia.accounts.models import User
from therapia.security.actor import Actor


class AuthedRequest(HttpRequest):
    user: User
    actor: Actor
    htmx: HtmxDetails
