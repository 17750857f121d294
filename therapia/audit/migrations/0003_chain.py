"""The audit chain: sequence numbers, HMACs and the key id on every row.

Rows written before this migration are chained here, in id order, with the current HMAC
key (therapia/audit/keys.py): from now on any change to them is detected. What happened to
them before this migration cannot be proven by the chain; the append-only grants and
trigger (migration 0002) guarded them until then. The trigger refuses UPDATE for every
role, so this migration disables it for the backfill, inside its own transaction (the
table is locked against every other session until it commits).
"""

from __future__ import annotations

from django.db import migrations, models
from django.db.models.functions import Length
from django.db.models.lookups import Exact


def chain_existing_rows(apps, schema_editor):
    import psycopg
    from psycopg.types.string import ByteaBinaryLoader

    from therapia.audit import chain, keys

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        if cursor.fetchone()[0] == 0:
            return
    key_id, base = keys.current_base()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_update_delete")
        cursor.execute(
            "UPDATE audit_auditevent AS a SET seq = n.rn, key_id = %s FROM "
            "(SELECT id, row_number() OVER (ORDER BY id) AS rn FROM audit_auditevent) AS n "
            "WHERE a.id = n.id", [key_id])
        cursor.execute("CREATE TEMPORARY TABLE audit_backfill (id bigint, prev_mac bytea, "
                       "mac bytea) ON COMMIT DROP")
    macs = []
    with psycopg.Cursor(connection.connection) as raw:
        raw.adapters.register_loader("record", ByteaBinaryLoader)
        prev = chain.GENESIS
        for row_id, record in raw.stream(
                f"SELECT id, {chain.RECORD_SQL} FROM audit_auditevent ORDER BY seq", binary=True):
            mac = chain.entry_mac(base, prev, record)
            macs.append((row_id, prev, mac))
            prev = mac
        with raw.copy("COPY audit_backfill (id, prev_mac, mac) FROM STDIN") as copy:
            for row in macs:
                copy.write_row(row)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent AS a SET prev_mac = b.prev_mac, mac = b.mac "
                       "FROM audit_backfill AS b WHERE a.id = b.id")
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_no_update_delete")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [
        migrations.AddField(
            model_name="auditevent", name="seq", field=models.BigIntegerField(null=True)),
        migrations.AddField(
            model_name="auditevent", name="actor_role",
            field=models.CharField(blank=True, default="", help_text="Role in the practice then",
                                   max_length=24),
            preserve_default=False),
        migrations.AddField(
            model_name="auditevent", name="key_id",
            field=models.CharField(default="", help_text="Which HMAC key made `mac`",
                                   max_length=16),
            preserve_default=False),
        migrations.AddField(
            model_name="auditevent", name="prev_mac",
            field=models.BinaryField(max_length=32, null=True)),
        migrations.AddField(
            model_name="auditevent", name="mac",
            field=models.BinaryField(help_text="HMAC-SHA256 over prev_mac and this row",
                                     max_length=32, null=True)),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="auditevent", name="seq", field=models.BigIntegerField(unique=True)),
        migrations.AlterField(
            model_name="auditevent", name="prev_mac", field=models.BinaryField(max_length=32)),
        migrations.AlterField(
            model_name="auditevent", name="mac",
            field=models.BinaryField(help_text="HMAC-SHA256 over prev_mac and this row",
                                     max_length=32)),
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ("seq",)}),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(condition=models.Q(seq__gte=1),
                                              name="audit_seq_positive")),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(condition=Exact(Length("mac"), 32),
                                              name="audit_mac_size")),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(condition=Exact(Length("prev_mac"), 32),
                                              name="audit_prev_mac_size")),
    ]
