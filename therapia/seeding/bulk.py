"""Fast inserts for the seeder.

Most tables go through `bulk_create`. Appointments and their clinician and client links —
hundreds of thousands of rows for a large practice — go through PostgreSQL's COPY instead:
building a Django model instance per row, and quoting the arrays `bulk_create` sends, cost
several times more than the database's own work. PostgreSQL refuses COPY FROM into a table
under row-level security, so the rows are copied into a temporary table and moved with one
INSERT ... SELECT, which the table's policy checks. These rows bypass model defaults, so
callers pass every column, including the BaseModel ones (`base_columns`).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterable, Sequence

from django.db import connection, models
from psycopg import sql

# Rows per INSERT: well under PostgreSQL's 65,535 bind parameters for our widest table.
BATCH_SIZE = 2000


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Take `count` primary keys from the table's sequence, for rows written by insert_rows."""
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def base_columns(now: dt.datetime) -> tuple[uuid.UUID, dt.datetime, dt.datetime]:
    """public_id, created_at and updated_at of a new BaseModel row."""
    return uuid.uuid4(), now, now


def insert_rows(model: type[models.Model], fields: Sequence[str],
                rows: Iterable[Sequence[object]]) -> None:
    """INSERT `rows` into the model's table; `fields` are attribute names ("practice_id")."""
    columns = {field.attname: field.column for field in model._meta.concrete_fields}
    table = sql.Identifier(model._meta.db_table)
    staging = sql.Identifier(f"seed_{model._meta.db_table}")
    names = sql.SQL(", ").join(sql.Identifier(columns[name]) for name in fields)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(sql.SQL("CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} "
                            "WITH NO DATA").format(staging, names, table))
        with raw.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(staging, names)) as copy:
            for row in rows:
                copy.write_row([_plain(value) for value in row])
        raw.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
            table, names, names, staging))
        raw.execute(sql.SQL("DROP TABLE {}").format(staging))


def _plain(value: object) -> object:
    # psycopg writes an Enum by its name; the database holds the choice's value.
    return value.value if isinstance(value, enum.Enum) else value
