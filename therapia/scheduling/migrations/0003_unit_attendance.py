"""Existing couple and family sessions get a row per member (as group sessions have), with
the session's outcome, linked to the member's episode that covered the session's date, so
they count in attended_treatment_sessions. Runs in the system scope (row-level security)."""

from django.db import migrations

BACKFILL = """
SELECT set_config('therapia.scope', 'system', true);
INSERT INTO scheduling_attendance
    (public_id, created_at, updated_at, appointment_id, client_id, episode_id, status,
     cancel_reason)
SELECT gen_random_uuid(), now(), now(), a.id, ac.client_id,
       (SELECT e.id FROM clients_episode e JOIN accounts_practice p ON p.id = a.practice_id
         WHERE e.client_id = ac.client_id
           AND (a.starts_at AT TIME ZONE p.time_zone)::date >= e.opened_on
           AND (e.discharged_on IS NULL
                OR (a.starts_at AT TIME ZONE p.time_zone)::date <= e.discharged_on)
         ORDER BY e.opened_on DESC LIMIT 1),
       a.status, a.cancel_reason
FROM scheduling_appointment a
JOIN scheduling_appointment_clients ac ON ac.appointment_id = a.id
WHERE a.kind IN ('couple', 'family')
ON CONFLICT (appointment_id, client_id) DO NOTHING;
"""


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_sessions")]

    operations = [migrations.RunSQL(BACKFILL, migrations.RunSQL.noop)]
