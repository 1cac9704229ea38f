"""The invitation leaves the outbox as a real calendar attachment (text/calendar; method)."""

from __future__ import annotations

import email

import pytest
from django.core import mail
from icalendar import Calendar

from tests.factories import contact_user
from tests.meetings.conftest import NOW, madrid
from xuala.meetings import services
from xuala.notify.models import OutboundEmail
from xuala.notify.services import MailAttachment, email_enqueue, outbox_step

pytestmark = pytest.mark.django_db


def test_an_attachment_is_sent_with_its_content_type_parameters(db):
    email_enqueue(to="ana@cliente-demo.es", subject="Adjunto", body_text="Texto",
                  purpose="test", attachments=[
                      MailAttachment(filename="invite.ics", content=b"BEGIN:VCALENDAR\r\n",
                                     content_type="text/calendar; method=REQUEST; "
                                                  'charset="UTF-8"'),
                      MailAttachment(filename="datos.bin", content=b"\x00\xff")])
    assert outbox_step() == 1
    parsed = email.message_from_bytes(mail.outbox[0].message().as_bytes())
    parts = {p.get_filename(): p for p in parsed.walk() if p.get_filename()}
    assert parts["invite.ics"].get_content_type() == "text/calendar"
    assert parts["invite.ics"].get_param("method") == "REQUEST"
    assert parts["invite.ics"].get_payload(decode=True) == b"BEGIN:VCALENDAR\r\n"
    assert parts["datos.bin"].get_content_type() == "application/octet-stream"
    assert parts["datos.bin"].get_payload(decode=True) == b"\x00\xff"
    body = next(p for p in parsed.walk() if p.get_content_type() == "text/plain")
    assert body.get_payload(decode=True).decode() == "Texto"


def test_a_mail_without_attachments_stays_a_plain_message(db):
    email_enqueue(to="ana@cliente-demo.es", subject="Hola", body_text="Texto", purpose="test")
    outbox_step()
    assert not mail.outbox[0].message().is_multipart()


def test_the_confirmation_reaches_the_client_with_the_invitation(offered):
    slot = offered.slots.get(starts_at=madrid(25, 10))
    meeting = services.meeting_pick(request=offered, slot_id=slot.pk,
                                    by=contact_user(offered.customer), now=NOW)
    OutboundEmail.objects.exclude(purpose="meeting.invitation").delete()
    assert outbox_step() == 2
    to_client = next(m for m in mail.outbox if m.to == ["ana@cliente-demo.es"])
    assert to_client.subject.startswith(f"[{offered.ticket.reference}] Reunión confirmada")
    parsed = email.message_from_bytes(to_client.message().as_bytes())
    (part,) = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    event = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]
    assert str(event["UID"]) == meeting.uid
