"""Every client-area meeting URL, asked by customer B's contact with customer A's ids,
answers 404 and shows nothing of A.

The URL patterns are read from xuala.meetings.urls_portal, so a new route fails this test
until it is listed in ROUTES."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import contact_user
from tests.meetings.conftest import NOW, madrid
from xuala.meetings import services, urls_portal
from xuala.meetings.models import ClientProposal, Meeting

pytestmark = pytest.mark.django_db

ROUTES = {"request", "pick", "propose", "invitation"}


def test_every_meeting_portal_route_is_listed_here():
    assert sorted(p.name for p in urls_portal.urlpatterns) == sorted(ROUTES)


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("booked", [False, True])
def test_customer_b_never_reaches_customer_a_through_any_meeting_url(client, offered,
                                                                     other_customer,
                                                                     language, booked):
    if booked:
        services.meeting_pick(request=offered,
                              slot_id=offered.slots.get(starts_at=madrid(25, 10)).pk,
                              by=contact_user(offered.customer), now=NOW)
    meetings_before = Meeting.objects.count()
    client.force_login(contact_user(other_customer))
    slot = offered.slots.first()
    for pattern in urls_portal.urlpatterns:
        with translation.override(language):
            path = reverse(f"meetings_portal:{pattern.name}", kwargs={"pk": offered.pk})
        get = client.get(path)
        post = client.post(path, {"slot": slot.pk, "text": "intruso",
                                  "time_1": "2026-11-27T10:00"})
        # A method the route does not take is 405; the one it takes must be 404.
        assert {get.status_code, post.status_code} in ({404}, {404, 405}), (
            f"{path} answered GET {get.status_code}, POST {post.status_code}")
        for response in (get, post):
            assert offered.ticket.subject.encode() not in response.content
    assert Meeting.objects.count() == meetings_before
    assert not ClientProposal.objects.exists()
