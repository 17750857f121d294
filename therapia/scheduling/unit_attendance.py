"""Rows per member for couple and family sessions written in bulk (the demo seeder), the
same rows services._write makes for a booking: one per client, with the session's outcome.
The seeder's link_episodes then points each row at the member's episode of that date."""

from __future__ import annotations

from django.db import connection

from therapia.accounts.models import Practice

_INSERT = """
INSERT INTO scheduling_attendance
    (public_id, created_at, updated_at, appointment_id, client_id, status, cancel_reason)
SELECT gen_random_uuid(), now(), now(), a.id, ac.client_id, a.status, a.cancel_reason
FROM scheduling_appointment a
JOIN scheduling_appointment_clients ac ON ac.appointment_id = a.id
WHERE a.practice_id = %s AND a.kind IN ('couple', 'family')
ON CONFLICT (appointment_id, client_id) DO NOTHING
"""


def insert_unit_attendance(practice: Practice) -> int:
    """Give every couple and family session of the practice a row per member; returns how
    many were written. Idempotent."""
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [practice.pk])
        written: int = cursor.rowcount
    return written
