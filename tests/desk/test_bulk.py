"""insert_rows (the intake's multi-row INSERT) stores what the ORM's own save would store.

Its fast path hands plain values of plain fields straight to the driver; every other value
(choices members, lazy strings, bools in integer fields, '' in an IP field, dates, JSON)
must still go through the field's own preparation.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext_lazy

from xuala.desk.bulk import _plain_types, insert_rows
from xuala.desk.models import Message, Ticket, TicketEvent
from xuala.desk.texts import local_time
from xuala.intake.models import InboundMessage, InboundPath, InboundStatus
from xuala.notify.models import OutboundEmail
from xuala.notify.services import email_build
from xuala.policy.selectors import policy_active

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 24, 17, 5, 9, 250_000, tzinfo=UTC)


def _row(key: str, **fields) -> InboundMessage:
    values = dict(
        message_key=key, message_id=f"<{key}@example.test>", raw=b"From: a@b.test\r\n\r\nhola",
        raw_size=22, raw_sha256="0" * 64, path=InboundPath.SMTP,
        envelope_from="cliente@example.test", envelope_to=["asistencia@modo3.net"],
        client_ip="", helo="mx.example.test", received_at=AT,
        subject=gettext_lazy("Received, not processed yet"), status=InboundStatus.HELD,
        outcome="auth.held", detail={"reason": "dkim", "n": 2}, attempts=True,
        next_attempt_at=AT, confirm_token=None,
    )
    values.update(fields)
    return InboundMessage(**values)


def _stored(key: str) -> dict:
    row = InboundMessage.objects.filter(message_key=key).values().get()
    for name in ("id", "message_key", "message_id"):
        row.pop(name)
    row["raw"] = None if row["raw"] is None else bytes(row["raw"])
    return row


@pytest.mark.parametrize("overrides", [
    {},
    {"client_ip": "192.0.2.7", "attempts": 3, "subject": "Asunto ñ", "status": "processed"},
    {"envelope_to": [], "detail": {}, "raw": None, "raw_file": "intake/ab/cd.eml"},
])
def test_insert_rows_stores_what_save_stores(overrides):
    bulk = [_row("bulk-1", **overrides), _row("bulk-2", **overrides)]
    with translation.override("en"):
        insert_rows(bulk)
        _row("orm", **overrides).save(force_insert=True)

    assert all(row.pk is not None and not row._state.adding for row in bulk)
    assert bulk[0].pk != bulk[1].pk
    expected = _stored("orm")
    assert _stored("bulk-1") == expected
    assert _stored("bulk-2") == expected
    # The values the fast path must not pass through as they are:
    if not overrides:
        assert expected["client_ip"] is None  # '' in an IP field is NULL
        assert expected["attempts"] == 1  # True in an integer field is 1
        assert expected["subject"] == "Received, not processed yet"  # a lazy string, as text


# Every model the hot paths write through insert_rows (xuala/desk/services.py, intake).
BULK_MODELS = [InboundMessage, Ticket, Message, TicketEvent, OutboundEmail]
SAMPLES = {str: ["", "Asunto ñ"], bool: [True, False], int: [0, 7, -3]}


@pytest.mark.parametrize("model", BULK_MODELS, ids=lambda m: m.__name__)
def test_every_model_written_in_bulk_is_one_insert_rows_can_write(model):
    """Fails when a model gains what insert_rows does not mirror: a parent table, a primary
    key the database does not number, or a field whose plain values the fast path hands to
    the driver but whose own preparation would change."""
    meta = model._meta
    assert not meta.parents
    assert meta.pk.get_internal_type() in ("AutoField", "BigAutoField")
    for field in meta.concrete_fields:
        if field.primary_key:
            continue
        for kind in _plain_types(field):
            for value in SAMPLES.get(kind, [None]):
                prepared = field.get_db_prep_save(value, connection)
                # (psycopg's Int2/Int4 wrappers are ints: the same value, typed for the driver)
                assert prepared == value and isinstance(prepared, kind), (field.name, value)


def test_insert_rows_stores_an_outbox_row_as_save_does():
    def mail(subject):
        return email_build(to="ana@cliente.es", subject=subject, body_text="Hola",
                           purpose="test", in_reply_to="<x@y>", auto_submitted=True)

    with time_machine.travel(AT, tick=False):  # the time defaults are equal
        bulk = mail("bulk")
        insert_rows([bulk])
        orm = mail("orm")
        orm.save(force_insert=True)

    def stored(pk):
        row = OutboundEmail.objects.filter(pk=pk).values().get()
        for name in ("id", "subject", "message_id"):
            row.pop(name, None)
        return row

    assert stored(bulk.pk) == stored(orm.pk)


def test_acknowledgement_times_are_in_the_active_language_even_when_remembered():
    loaded = policy_active()
    later_same_minute = AT.replace(second=59)
    with translation.override("es"):
        spanish = local_time(AT, loaded)
        assert local_time(later_same_minute, loaded) == spanish
    with translation.override("en"):
        english = local_time(AT, loaded)
    assert spanish == "martes 24 noviembre 2026, 18:05 (CET)"
    assert english == "Tuesday 24 November 2026, 18:05 (CET)"
    with translation.override("es"):
        assert local_time(AT.replace(minute=6), loaded) == "martes 24 noviembre 2026, 18:06 (CET)"
