"""A clinician's private iCalendar feed (RFC 5545), behind a secret URL.

The token is 32 random bytes; only its SHA-256 is stored, so a copy of the database does
not give anyone the feed. Rotating makes a new token and revokes the old one; revoking
stops the feed at once. The feed shows times, the format and clients' initials — no
names, no purposes, no clinical detail — for sessions from 30 days ago to 90 days ahead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import connection, transaction
from django.utils import timezone

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.scheduling.models import CANCELLED, Appointment, CalendarFeed, SessionKind
from therapia.security import rls
from therapia.security.actor import Actor

PAST = dt.timedelta(days=30)
AHEAD = dt.timedelta(days=90)


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def live_feed(actor: Actor) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(membership=actor.membership,
                                       revoked_at__isnull=True).first()


@transaction.atomic
def feed_revoke(*, actor: Actor) -> None:
    for feed in CalendarFeed.objects.select_for_update().filter(
            membership=actor.membership, revoked_at__isnull=True):
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.SECURITY, obj=feed,
                     fields=["revoked_at"])


@transaction.atomic
def feed_rotate(*, actor: Actor) -> str:
    """A new secret link (the old one stops working). Returns the token, shown once."""
    feed_revoke(actor=actor)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(practice=actor.practice, membership=actor.membership,
                                       token_hash=digest(token))
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.SECURITY, obj=feed,
                 fields=["token_hash"])
    return token


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets continue on the next line after a space."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def calendar_text(appointments: list[Appointment], now: dt.datetime) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Therapia//Sessions//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:Therapia sessions"]
    for session in appointments:
        if session.kind == SessionKind.GROUP:
            who = "Group"
        else:
            who = " ".join(f"{c.legal_given_name[:1]}.{c.legal_family_name[:1]}.".upper()
                           for c in session.clients.all())
        summary = f"Session {who} ({session.get_format_display().lower()})"
        lines += ["BEGIN:VEVENT", f"UID:{session.public_id}@therapia",
                  f"DTSTAMP:{_stamp(now)}", f"DTSTART:{_stamp(session.starts_at)}",
                  f"DTEND:{_stamp(session.ends_at)}", f"SUMMARY:{_escape(summary)}",
                  "CLASS:PRIVATE", "TRANSP:OPAQUE"]
        if session.status in CANCELLED:
            lines.append("STATUS:CANCELLED")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def feed_body(token: str) -> str | None:
    """The calendar for a live token, or None. Runs in the token's practice only."""
    if not token or len(token) > 100:
        return None
    hashed = digest(token)
    with connection.cursor() as cursor:
        cursor.execute("SELECT scheduling_feed_practice(%s)", [hashed])
        practice_id = cursor.fetchone()[0]
    if practice_id is None:
        return None
    rls.set_practice(practice_id)
    feed = CalendarFeed.objects.select_related("membership__user", "membership__practice").filter(
        token_hash=hashed, revoked_at__isnull=True).first()
    if feed is None or not feed.membership.is_active:
        return None
    now = timezone.now()
    sessions = list(Appointment.objects.filter(
        clinicians=feed.membership, starts_at__gte=now - PAST, starts_at__lt=now + AHEAD)
        .prefetch_related("clients").order_by("starts_at"))
    audit_record(actor=None, user=feed.membership.user, practice=feed.membership.practice,
                 action=Action.LIST, purpose=Purpose.SCHEDULING,
                 object_type="scheduling.CalendarFeed", object_id=str(feed.public_id),
                 fields=["starts_at", "ends_at", "format", "initials"])
    return calendar_text(sessions, now)
