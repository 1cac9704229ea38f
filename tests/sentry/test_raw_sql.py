"""The engine's plain SQL and per-database conversions mirror the models they write.

``outcomes_record`` and ``claim`` write and read Sentry's tables with plain statements and
adapt datetimes and JSON themselves (xuala/sentry/services.py): these tests fail when a
model gains a column the statements do not fill, loses or renames one they name, or when
the ORM's own adaptation of a value stops being what the adapters produce.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import NOT_PROVIDED

from tests import factories
from xuala.customers.models import HostingServer
from xuala.sentry import engine, services
from xuala.sentry.models import Check, LastGood, Monitor, UptimeHour

pytestmark = pytest.mark.django_db

INSTANTS = [
    datetime(2026, 11, 24, 17, 5, 9, 250_000, tzinfo=UTC),
    datetime(2026, 11, 24, 17, 5, tzinfo=UTC),  # no microseconds: written without them
    datetime(2026, 3, 29, 3, 30, 1, 7, tzinfo=ZoneInfo("Europe/Madrid")),
    datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("Europe/Madrid")),
]
DOCUMENTS = [{}, {"ok": True, "timings": {"total": 12.5}, "error": "ñ \"x\""}, [1, None]]


def columns(model) -> set[str]:
    return {field.column for field in model._meta.concrete_fields}


def required(model) -> set[str]:
    """The columns an INSERT must name: not null, no default, not the numbered key."""
    return {f.column for f in model._meta.concrete_fields
            if not f.primary_key and not f.null and f.default is NOT_PROVIDED
            and f.db_default is NOT_PROVIDED}


def inserted(sql: str) -> tuple[str, list[str]]:
    table, names = re.search(r"INSERT INTO (\w+) \(([^)]*)\)", sql).groups()
    return table, [name.strip() for name in names.split(",")]


@pytest.mark.parametrize(("sql", "model"), [
    (services.INSERT_CHECK, Check), (services.UPSERT_HOUR, UptimeHour),
    (services.UPSERT_LAST_GOOD, LastGood)], ids=["check", "hour", "last_good"])
def test_each_insert_names_existing_columns_and_every_required_one(sql, model):
    table, names = inserted(sql)
    assert table == model._meta.db_table
    assert set(names) <= columns(model)
    assert required(model) <= set(names)


def test_the_monitor_update_and_the_claim_name_only_the_monitor_s_columns():
    assumed = re.findall(r"(\w+) = ", services.UPDATE_MONITOR.split("WHERE")[0])
    assert set(assumed) <= columns(Monitor)
    assert {"id", "claimed_by"} <= columns(Monitor)
    assert set(engine.DUE_COLUMNS) <= columns(Monitor)
    for sql in (engine.CLAIM_SQLITE, engine.CLAIM_SELECT_POSTGRESQL):
        conditions = set(re.findall(r"\b([a-z_]+) (?:<=|<|IS)\b", sql))
        assert conditions <= columns(Monitor)


@pytest.mark.parametrize("value", [*INSTANTS, None])
def test_the_datetime_adapter_gives_what_the_orm_writes(value):
    field = Monitor._meta.get_field("next_check_at")
    orm = None if value is None else field.get_db_prep_save(value, connection)
    assert services.datetime_adapter()(value) == orm


@pytest.mark.parametrize("value", DOCUMENTS)
def test_the_json_adapter_gives_what_the_orm_writes(value):
    field = Check._meta.get_field("result")
    orm = field.get_db_prep_save(value, connection)
    ours = services.json_adapter()(value)
    if connection.vendor == "postgresql":  # psycopg's Jsonb wrappers: the same document
        assert (type(ours), ours.obj) == (type(orm), orm.obj)
    else:
        assert ours == orm


def test_values_written_by_the_adapters_read_back_through_the_orm():
    factories.customer(name="Tienda SL", email="m@tienda.es", plan="cobertura-anual")
    HostingServer.objects.update(is_active=False)
    services.monitors_sync()
    monitor_pk = Monitor.objects.values_list("pk", flat=True).first()
    when, dumps = services.datetime_adapter(), services.json_adapter()
    at = INSTANTS[0] + timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(services.INSERT_CHECK, (monitor_pk, when(at), False, "timeout", None,
                                               None, dumps(DOCUMENTS[1])))
    check = Check.objects.get(monitor_id=monitor_pk)
    assert check.at == at and check.result == DOCUMENTS[1]
