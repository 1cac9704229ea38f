"""Every client-area URL, asked by customer B's contact with customer A's ids, answers 404.

The URL patterns are read from xuala.portal.urls, so a new route fails this test until it is
listed in ROUTES with the objects of A it takes (or as taking none).
"""

import pytest
from django.urls import URLPattern, URLResolver

from tests import factories
from tests.portal.conftest import file_ticket
from xuala.desk.models import Attachment, Message, Ticket
from xuala.desk.services import Upload, ticket_reply
from xuala.intake.models import InboundMessage
from xuala.portal import urls as portal_urls

# Route name -> the URL kwargs taken from customer A's objects (None: the route takes no id).
ROUTES = {
    "dashboard": None,
    "login": None,
    "logout": None,
    "ticket_new": None,
    "ticket": lambda a: {"pk": a["ticket"].pk},
    "attachment": lambda a: {"pk": a["attachment"].pk},
    "mail_confirm": lambda a: {"token": a["held"].confirm_token},
}


def _patterns(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry


def test_every_portal_route_is_listed_here():
    names = [p.name for p in _patterns(portal_urls.urlpatterns)]
    assert all(names), "every portal route needs a name"
    assert sorted(names) == sorted(ROUTES), "list new portal routes in ROUTES"


@pytest.fixture
def customer_a(db):
    a = factories.customer(name="Empresa A SL", email="alba@empresa-a.es",
                           plan="cobertura-anual")
    agent = factories.agent()
    ticket = file_ticket(a, subject="SECRETO-A asunto", body="SECRETO-A descripción")
    ticket_reply(ticket=ticket, author=agent, body_text="SECRETO-A respuesta",
                 uploads=[Upload("secreto-a.txt", b"SECRETO-A fichero", "text/plain")])
    raw = (b"From: alba@empresa-a.es\r\nTo: asistencia@modo3.net\r\nSubject: SECRETO-A\r\n"
           b"Message-ID: <held-a@empresa-a.es>\r\n\r\nSECRETO-A held\r\n")
    held = InboundMessage.objects.create(
        message_key="<held-a@empresa-a.es>", message_id="<held-a@empresa-a.es>", raw=raw,
        raw_size=len(raw), raw_sha256="0" * 64, path="smtp", status="held",
        outcome="auth.held", claimed_user=factories.contact_user(a), confirm_token="tok-a-123")
    return {"customer": a, "ticket": ticket, "held": held,
            "attachment": Attachment.objects.get(filename="secreto-a.txt")}


@pytest.mark.parametrize("language_prefix", ["", "/en"])
def test_customer_b_never_reaches_customer_a_through_any_portal_url(client, customer_a,
                                                                    language_prefix):
    from django.urls import reverse
    from django.utils import translation

    b = factories.customer(name="Empresa B SL", email="bruno@empresa-b.es")
    b_user = factories.contact_user(b)
    client.force_login(b_user)
    messages_before = Message.objects.count()
    tickets_before = Ticket.objects.count()
    a_site = customer_a["customer"].sites.get()
    language = "en" if language_prefix else "es"
    checked = set()
    for pattern in _patterns(portal_urls.urlpatterns):
        assert pattern.name in ROUTES, f"portal route {pattern.name!r} is not covered"
        ids = ROUTES[pattern.name]
        kwargs = ids(customer_a) if ids else {}
        with translation.override(language):
            path = reverse(f"portal:{pattern.name}", kwargs=kwargs)
        assert path.startswith(language_prefix + "/portal/")
        get = client.get(path)
        post = client.post(path, {"body": "intruso", "about": f"site:{a_site.pk}",
                                  "category": "hosting", "subject": "intruso",
                                  "description": "intruso", "username": "bruno@empresa-b.es",
                                  "password": "x"})
        if ids:
            assert get.status_code == 404, f"GET {path} answered {get.status_code}"
            assert post.status_code in (404, 405), f"POST {path} answered {post.status_code}"
        for response in (get, post):
            body = b"".join(response.streaming_content) if response.streaming else \
                response.content
            assert b"SECRETO-A" not in body, f"{path} shows customer A's data"
            assert a_site.url.encode() not in body, f"{path} shows customer A's site"
        client.force_login(b_user)  # the logout route's POST ended the session
        checked.add(pattern.name)
    assert checked == set(ROUTES)
    assert Message.objects.count() == messages_before
    assert Ticket.objects.count() == tickets_before
