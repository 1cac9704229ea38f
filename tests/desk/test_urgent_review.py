"""§6.3.6 urgent review: any incident of a plan site opens or joins ONE urgent ticket per site
and cause, on the emergency clock, with the evidence; a second cause opens a second ticket."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from xuala.desk.models import Status, Ticket, UrgentReview
from xuala.desk.services import Upload, UrgentWords, ticket_set_status, urgent_review

pytestmark = pytest.mark.django_db

# A Saturday at 03:00 in Madrid: the emergency clock runs around the clock, so the ticket is
# due four hours later although the desk is closed.
SATURDAY = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def words(language: str) -> UrgentWords:
    return UrgentWords(subject=f"[{language}] Su web falla", opened=f"[{language}] abierta",
                       joined=f"[{language}] otra vez")


def review(site, cause="updates", at=SATURDAY, evidence="plugin hello 1.2: fatal error",
           attachments=()):
    return urgent_review(site=site, cause=cause, words=words, evidence=evidence,
                         attachments=attachments, at=at, joined_key="updates.report_joined",
                         run=7)


@pytest.fixture
def site(plan_customer):
    return plan_customer.sites.get()


def test_repeated_incidents_of_one_cause_make_one_ticket(site):
    first = review(site)
    second = review(site, at=SATURDAY + timedelta(minutes=5), evidence="again: fatal")
    third = review(site, at=SATURDAY + timedelta(minutes=9), evidence="and again")
    assert first.opened and not second.opened and not third.opened
    assert first.ticket == second.ticket == third.ticket
    assert Ticket.objects.filter(site=site).count() == 1
    [row] = UrgentReview.objects.all()
    assert (row.cause, row.incidents, row.last_at) == ("updates", 3,
                                                      SATURDAY + timedelta(minutes=9))
    ticket = first.ticket
    assert [m.body_text for m in ticket.messages.filter(kind="auto").order_by("pk")] == [
        "[es] abierta", "[es] otra vez", "[es] otra vez"]
    notes = [m.body_text for m in ticket.messages.filter(kind="note").order_by("pk")]
    assert notes == ["plugin hello 1.2: fatal error", "again: fatal", "and again"]
    assert list(ticket.events.filter(key__startswith="urgent.").values_list("key", flat=True)
                ) == ["urgent.opened", "urgent.joined", "urgent.joined"]
    assert ticket.events.filter(key="urgent.joined").last().data == {
        "cause": "updates", "incidents": 3, "run": 7}


def test_the_urgent_ticket_runs_on_the_emergency_clock(site):
    ticket = review(site).ticket
    assert ticket.ticket_class == "emergency"
    assert ticket.due_at == SATURDAY + timedelta(hours=4)
    assert ticket.subject == "[es] Su web falla" and ticket.site == site
    assert ticket.events.get(key="ticket.opened").data["by_system"] is True


def test_the_evidence_files_are_attached_to_the_agents_note(site):
    ticket = review(site, attachments=[Upload("diff-home.png", PNG, "image/png")]).ticket
    note = ticket.messages.get(kind="note")
    [attachment] = note.attachments.all()
    assert attachment.filename == "diff-home.png" and attachment.file.read() == PNG
    assert not ticket.messages.filter(kind="auto", attachments__isnull=False).exists()


def test_evidence_files_the_desk_refuses_are_named_and_the_text_kept(site, settings):
    settings.XUALA_MAX_ATTACHMENT_BYTES = 10
    ticket = review(site, attachments=[Upload("diff-home.png", PNG, "image/png")]).ticket
    note = ticket.messages.get(kind="note")
    assert note.body_text.startswith("plugin hello 1.2: fatal error")
    assert "Files not attached: diff-home.png" in note.body_text
    assert not note.attachments.exists()


def test_a_second_cause_opens_a_second_ticket(site):
    updates = review(site, cause="updates").ticket
    sentry = review(site, cause="sentry").ticket
    wsa = review(site, cause="wsa").ticket
    assert len({updates.pk, sentry.pk, wsa.pk}) == 3
    assert review(site, cause="sentry").ticket == sentry
    assert dict(UrgentReview.objects.values_list("cause", "incidents")) == {
        "updates": 1, "sentry": 2, "wsa": 1}


def test_a_resolved_review_ends_and_the_next_incident_opens_a_new_ticket(site):
    first = review(site).ticket
    ticket_set_status(ticket=first, status=Status.RESOLVED, actor=None,
                      at=SATURDAY + timedelta(hours=1))
    second = review(site, at=SATURDAY + timedelta(days=7)).ticket
    assert second != first
    assert UrgentReview.objects.get(ticket=first).closed_at == SATURDAY + timedelta(days=7)
    assert UrgentReview.objects.get(ticket=second).closed_at is None


def test_the_database_refuses_a_second_open_review_of_the_same_site_and_cause(site):
    review(site)
    with pytest.raises(IntegrityError), transaction.atomic():
        UrgentReview.objects.create(site=site, cause="updates", opened_at=SATURDAY,
                                    last_at=SATURDAY)


def test_a_customer_without_service_gets_no_ticket_and_no_review(lapsed_customer, db):
    from xuala.customers.models import Site

    site = Site.objects.create(customer=lapsed_customer, url="https://www.antiguo.es/")
    assert review(site) is None
    assert not UrgentReview.objects.exists() and not Ticket.objects.exists()
