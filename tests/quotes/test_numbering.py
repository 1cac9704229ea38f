"""Quote numbers: P-<year>-<n>, a sequence per year in the policy's zone, unique under races."""

import threading

import pytest
from django.db import connection

from tests.quotes.conftest import madrid
from xuala.quotes.models import Quote
from xuala.quotes.services import quote_draft


def test_it_numbers_quotes_in_sequence_within_a_year(hosting_customer, agent_user):
    numbers = [quote_draft(customer=hosting_customer, created_by=agent_user,
                           at=madrid(23, 12)).number for _ in range(3)]
    assert numbers == ["P-2026-0001", "P-2026-0002", "P-2026-0003"]


def test_it_starts_again_at_one_in_a_new_year_of_the_policy_zone(hosting_customer, agent_user):
    late = quote_draft(customer=hosting_customer, created_by=agent_user,
                       at=madrid(31, 23, 30, month=12))
    # 00:10 on 1 January in Madrid is still 31 December in UTC: the year is Madrid's.
    new_year = quote_draft(customer=hosting_customer, created_by=agent_user,
                           at=madrid(1, 0, 10, month=1, year=2027))
    assert late.number == "P-2026-0001"
    assert new_year.number == "P-2027-0001"
    assert (new_year.year, new_year.sequence) == (2027, 1)


def test_it_pads_to_four_digits_and_grows_past_them(hosting_customer, agent_user):
    from xuala.quotes.models import QuoteCounter

    QuoteCounter.objects.create(year=2026, last=9999)
    quote = quote_draft(customer=hosting_customer, created_by=agent_user, at=madrid(23, 12))
    assert quote.number == "P-2026-10000"


@pytest.mark.django_db(transaction=True)
def test_drafts_made_at_the_same_moment_get_distinct_consecutive_numbers(hosting_customer,
                                                                         agent_user):
    """Four threads, three drafts each, on the file database: twelve numbers, no gap, no twin."""
    threads_count, each = 4, 3
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def draft_some():
        try:
            barrier.wait(timeout=10)
            for _ in range(each):
                quote_draft(customer=hosting_customer, created_by=agent_user, at=madrid(23, 12))
        except BaseException as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=draft_some) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    sequences = sorted(Quote.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, threads_count * each + 1))
    assert Quote.objects.values("number").distinct().count() == threads_count * each
