"""In real Chromium: an anonymous visitor answers "¿Le ha resultado útil este artículo?" on
the policy article, and a client typing a new request is shown matching articles."""

from __future__ import annotations

import pytest

from tests import factories
from xuala.kb import services
from xuala.kb.models import Article, Vote

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_anonymous_visitor_votes_on_the_policy_article(new_page, tmp_path):
    page = new_page()
    page.goto("/kb/politicas-de-asistencia-tecnica/")
    form = page.locator("#vote-form")
    assert "¿Le ha resultado útil este artículo?" in form.inner_text()
    assert page.locator("#vote-thanks").count() == 0

    form.locator('button[name="helpful"][value="yes"]').click()
    thanks = page.locator("#vote-thanks")
    thanks.wait_for()
    assert "Gracias por su opinión" in thanks.inner_text()
    assert page.url.endswith("/kb/politicas-de-asistencia-tecnica/#vote")
    page.screenshot(path=str(tmp_path / "policy-vote.png"), full_page=True)

    vote = Vote.objects.select_related("article").get()
    assert vote.helpful is True
    assert vote.article.is_policy and vote.article.language == "es"
    assert vote.voter_key.startswith("a:")

    # The same visitor changes their mind: still one vote.
    page.locator('#vote-form button[name="helpful"][value="no"]').click()
    page.locator('#vote-form button[value="no"][aria-pressed="true"]').wait_for()
    assert Vote.objects.count() == 1 and Vote.objects.get().helpful is False


def test_a_client_typing_a_request_is_shown_matching_articles(new_page):
    customer = factories.customer(name="Cliente Demo SL", email="ana@cliente-demo.es",
                                  plan="cobertura-mensual")
    assert customer.pk
    services.article_save(article=Article(
        language="es", slug="configurar-correo-outlook", title="Configurar el correo en Outlook",
        summary="Servidores IMAP y SMTP.", body="Use IMAP en el puerto 993.", published=True))
    page = new_page()
    page.goto("/portal/login/")
    page.fill("#login-form [name=username]", "ana@cliente-demo.es")
    page.fill("#login-form [name=password]", factories.PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url("**/portal/")
    page.goto("/portal/tickets/new/")
    page.locator("#new-ticket-form [name=subject]").press_sequentially("No puedo configurar Outl")
    link = page.locator('#kb-suggestions a[href="/kb/configurar-correo-outlook/"]')
    link.wait_for()
    assert link.inner_text() == "Configurar el correo en Outlook"
