"""Rows written many at once in one plain INSERT, for the hot write paths (mail intake).

What ``QuerySet.bulk_create`` does for a list of new model instances (each field's
``pre_save`` for add, its ``get_db_prep_save``, one multi-row INSERT, primary keys set
from RETURNING), without the query compiler, which costs more than the statement itself
for the few rows of a batch. Plain models only: no multi-table inheritance, no
conflict handling, an auto-incremented primary key.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def insert_rows(objs: Sequence[Model]) -> None:
    """INSERT ``objs`` (all of one model, unsaved) and set their primary keys."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    q = connection.ops.quote_name
    columns = ", ".join(q(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Stay well below SQLite's 32,766 parameters (and PostgreSQL's 65,535).
    per_statement = max(1, 30_000 // len(fields))
    for start in range(0, len(objs), per_statement):
        chunk = objs[start:start + per_statement]
        params = [f.get_db_prep_save(f.pre_save(obj, True), connection)
                  for obj in chunk for f in fields]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {q(meta.db_table)} ({columns}) VALUES "  # noqa: S608
                f"{', '.join([row] * len(chunk))} RETURNING {q(meta.pk.column)}", params)
            ids = cursor.fetchall()
        for obj, (pk,) in zip(chunk, ids, strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = connection.alias
