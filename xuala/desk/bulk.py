"""Rows written many at once in one plain INSERT, for the hot write paths (mail intake).

What ``QuerySet.bulk_create`` does for a list of new model instances (each field's
``pre_save`` for add, its ``get_db_prep_save``, one multi-row INSERT, primary keys set
from RETURNING), without the query compiler, which costs more than the statement itself
for the few rows of a batch. Plain models only: no multi-table inheritance, no
conflict handling, an auto-incremented primary key.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import connection, models
from django.db.models import Model

# Field kinds whose database value is the Python value itself when that value is of the
# plain type named here (or None): their get_db_prep_save would only hand it back.
_PLAIN_KINDS: tuple[tuple[type[models.Field], tuple[type, ...]], ...] = (
    (models.GenericIPAddressField, ()),  # '' becomes NULL: always the full path
    (models.CharField, (str,)),
    (models.TextField, (str,)),
    (models.BooleanField, (bool,)),
    (models.IntegerField, (int,)),
    (models.AutoField, (int,)),
)


def _plain_types(field: models.Field) -> frozenset[type]:
    """The value types ``field`` passes through unchanged (none: always prepare)."""
    if type(field).pre_save is not models.Field.pre_save:
        return frozenset()  # auto_now and the like compute their value
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    for kind, types in _PLAIN_KINDS:
        if isinstance(target, kind):
            return frozenset((*types, type(None))) if types else frozenset()
    return frozenset()


@cache
def _layout(model: type[Model]) -> tuple[list[tuple[models.Field, str, frozenset]], str, str]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    q = connection.ops.quote_name
    columns = ", ".join(q(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return [(f, f.attname, _plain_types(f)) for f in fields], columns, row


def insert_rows(objs: Sequence[Model]) -> None:
    """INSERT ``objs`` (all of one model, unsaved) and set their primary keys."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    fields, columns, row = _layout(model)
    q = connection.ops.quote_name
    # Stay well below SQLite's 32,766 parameters (and PostgreSQL's 65,535).
    per_statement = max(1, 30_000 // len(fields))
    for start in range(0, len(objs), per_statement):
        chunk = objs[start:start + per_statement]
        params = []
        for obj in chunk:
            for field, attname, plain in fields:
                value = getattr(obj, attname) if plain else field.pre_save(obj, True)
                params.append(value if value.__class__ in plain
                              else field.get_db_prep_save(value, connection))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {q(meta.db_table)} ({columns}) VALUES "  # noqa: S608
                f"{', '.join([row] * len(chunk))} RETURNING {q(meta.pk.column)}", params)
            ids = cursor.fetchall()
        for obj, (pk,) in zip(chunk, ids, strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = connection.alias
