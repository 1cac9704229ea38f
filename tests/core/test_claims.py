"""claim_due: every due row is claimed once, whatever the number of engines racing for it."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from xuala.core.claims import ClaimUpdateError, claim_due
from xuala.notify.models import OutboundEmail, OutboundStatus

LEASE = timedelta(minutes=5)


def outbox_rows(n, *, due_at):
    return OutboundEmail.objects.bulk_create(
        OutboundEmail(to=f"c{i}@cliente.es", subject=f"s{i}", body_text="b", purpose="test",
                      message_id=f"<{i}@test>", next_attempt_at=due_at + timedelta(seconds=i))
        for i in range(n))


def lease(row):
    return {"attempts": row.attempts + 1, "next_attempt_at": timezone.now() + LEASE}


@pytest.mark.django_db
def test_it_claims_only_rows_that_have_come_due_oldest_first_and_applies_the_claim():
    now = timezone.now()
    outbox_rows(3, due_at=now - timedelta(seconds=10))  # due 10, 9 and 8 s ago
    OutboundEmail.objects.create(to="x@y.es", subject="later", body_text="b", purpose="test",
                                 message_id="<later@test>",
                                 next_attempt_at=now + timedelta(hours=1))
    pending = OutboundEmail.objects.filter(status=OutboundStatus.PENDING)
    claimed = claim_due(pending, field="next_attempt_at", now=now, batch=2, update=lease)
    assert [row.subject for row in claimed] == ["s0", "s1"]
    assert all(row.attempts == 1 and row.next_attempt_at > now for row in claimed)
    stored = OutboundEmail.objects.get(subject="s0")
    assert stored.attempts == 1 and stored.next_attempt_at > now
    # The lease hides the claimed rows; only the third is still due, and then none.
    rest = claim_due(pending, field="next_attempt_at", now=now, batch=10, update=lease)
    assert [row.subject for row in rest] == ["s2"]
    assert claim_due(pending, field="next_attempt_at", now=now, batch=10, update=lease) == []


@pytest.mark.django_db
def test_a_row_changed_since_it_was_read_is_not_claimed():
    now = timezone.now()
    outbox_rows(2, due_at=now - timedelta(minutes=1))

    def meddle(row):
        # Another engine takes the second row between the read and this claim.
        if row.subject == "s0":
            OutboundEmail.objects.filter(subject="s1").update(attempts=7)
        return lease(row)

    claimed = claim_due(OutboundEmail.objects.all(), field="next_attempt_at", now=now,
                        batch=10, update=meddle, guard=["attempts"])
    assert [row.subject for row in claimed] == ["s0"]
    assert OutboundEmail.objects.get(subject="s1").attempts == 7


@pytest.mark.django_db
def test_a_claim_that_changes_neither_the_due_column_nor_a_guard_is_refused():
    outbox_rows(1, due_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ClaimUpdateError, match="next_attempt_at"):
        claim_due(OutboundEmail.objects.all(), field="next_attempt_at", now=timezone.now(),
                  batch=1, update={"last_error": "x"})


@pytest.mark.django_db(transaction=True)
def test_engines_racing_claim_every_row_exactly_once():
    now = timezone.now()
    outbox_rows(300, due_at=now - timedelta(minutes=10))
    claims: list[list[int]] = [[], [], []]
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def engine(mine):
        try:
            start.wait()
            while True:
                got = claim_due(OutboundEmail.objects.filter(status=OutboundStatus.PENDING),
                                field="next_attempt_at", now=now, batch=7, update=lease)
                if not got:
                    break
                mine.extend(row.pk for row in got)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=engine, args=(claims[i],)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    every = [pk for mine in claims for pk in mine]
    assert len(every) == len(set(every)) == 300  # none twice, none skipped
    assert set(OutboundEmail.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_second_engine_skips_rows_another_holds_instead_of_waiting():
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises writers (the race test "
                    "above covers it)")
    now = timezone.now()
    outbox_rows(6, due_at=now - timedelta(minutes=10))
    holding, release = threading.Event(), threading.Event()
    first: list[int] = []

    def slow_claim(row):
        holding.set()
        release.wait(30)  # the first engine holds its locks here
        return lease(row)

    def engine_a():
        try:
            first.extend(r.pk for r in claim_due(OutboundEmail.objects.all(),
                                                 field="next_attempt_at", now=now, batch=3,
                                                 update=slow_claim))
        finally:
            connections.close_all()

    a = threading.Thread(target=engine_a)
    a.start()
    assert holding.wait(30)
    second = claim_due(OutboundEmail.objects.all(), field="next_attempt_at", now=now, batch=6,
                       update=lease)
    release.set()
    a.join(30)
    assert len(second) == 3 and len(first) == 3
    assert not set(first) & {row.pk for row in second}


def claimed_subjects(update, *, now, guard=()) -> list[str]:
    claimed = claim_due(OutboundEmail.objects.all(), field="next_attempt_at", now=now,
                        batch=5, update=update, guard=guard)
    return [row.subject for row in claimed]


@pytest.mark.django_db
def test_an_update_that_works_on_the_row_it_is_given_still_claims_it():
    now = timezone.now()
    outbox_rows(1, due_at=now - timedelta(minutes=1))

    def in_place(row):
        row.attempts += 1  # the compared values were read before this
        row.next_attempt_at = now + LEASE
        return {"attempts": row.attempts, "next_attempt_at": row.next_attempt_at}

    assert claimed_subjects(in_place, now=now, guard=["attempts"]) == ["s0"]
    assert OutboundEmail.objects.get(subject="s0").attempts == 1


@pytest.mark.django_db
def test_an_update_that_returns_none_leaves_the_row_alone():
    now = timezone.now()
    outbox_rows(2, due_at=now - timedelta(minutes=1))
    skip_first = lambda row: None if row.subject == "s0" else lease(row)  # noqa: E731
    assert claimed_subjects(skip_first, now=now) == ["s1"]
    assert OutboundEmail.objects.get(subject="s0").attempts == 0
