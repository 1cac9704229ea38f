"""Two clients choose the same slot at the same moment: exactly one gets it, the other is
offered the next free slots. Real threads on the file database (committed transactions)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests import factories
from tests.factories import contact_user
from tests.meetings.conftest import NOW, madrid, make_available, meeting_ticket
from xuala.meetings import services
from xuala.meetings.errors import SlotTaken
from xuala.meetings.models import Meeting, MeetingStatus, RequestStatus

pytestmark = pytest.mark.django_db(transaction=True)


def _race(picks):
    """Run each (request, slot_id, user) pick in its own thread, released together."""
    barrier = threading.Barrier(len(picks))
    results: list = [None] * len(picks)

    def run(i, request, slot_id, user):
        try:
            barrier.wait(timeout=10)
            results[i] = services.meeting_pick(request=request, slot_id=slot_id, by=user,
                                               now=NOW)
        except Exception as exc:  # the outcome under test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *pick)) for i, pick in enumerate(picks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.parametrize("round_", range(3))
def test_two_clients_picking_the_same_slot_at_once_get_it_exactly_once(round_):
    agent = factories.agent()
    make_available(agent)
    picks, requests = [], []
    for who in ("ana", "luis"):
        customer = factories.customer(name=f"{who} SL", email=f"{who}@{who}-empresa.es")
        request = meeting_ticket(customer).meeting_requests.get()
        services.meeting_offer(request=request, now=NOW)
        wanted = madrid(24, 16) if round_ == 0 else madrid(25, 10 if round_ == 1 else 16)
        slot = request.slots.get(starts_at=wanted)
        picks.append((request, slot.pk, contact_user(customer)))
        requests.append(request)

    results = _race(picks)

    won = [r for r in results if isinstance(r, Meeting)]
    lost = [r for r in results if isinstance(r, SlotTaken)]
    assert len(won) == 1 and len(lost) == 1, results
    assert Meeting.objects.filter(agent=agent, status=MeetingStatus.CONFIRMED).count() == 1
    taken = won[0].starts_at
    alternatives = [s.starts_at for s in lost[0].alternatives]
    assert alternatives and taken not in alternatives
    loser = requests[results.index(lost[0])]
    loser.refresh_from_db()
    assert loser.status == RequestStatus.OFFERED
    assert [s.starts_at for s in loser.slots.all()] == alternatives
