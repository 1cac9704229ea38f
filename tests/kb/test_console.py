"""Agents see every article with its helpful / not-helpful tallies at /console/kb/; nobody
else does."""

from __future__ import annotations

from django.test import Client

from tests import factories
from tests.console.conftest import verify_session
from tests.kb.conftest import make_article
from xuala.kb import services

URL = "/console/kb/"


def vote(article, helpful: bool, n: int) -> None:
    services.vote_cast(article=article, helpful=helpful, voter_key=f"a:{article.pk}-{n}-{helpful}",
                       ip=f"192.0.2.{n}")


def test_agents_see_the_tallies_per_article_and_language(agent_client, mail_articles):
    es, en = mail_articles
    for n in range(3):
        vote(es, True, n)
    vote(es, False, 0)
    vote(en, False, 1)
    policy_es = services.policy_articles_sync()["es"]
    vote(policy_es, True, 0)
    response = agent_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    row = html[html.index(f'<tr data-article="{es.pk}">'):]
    row = row[:row.index("</tr>")]
    assert "Configuración del correo en Outlook" in row and "Setting up mail in Outlook" in row
    assert '<td class="tally-es">3 / 1</td>' in row
    assert '<td class="tally-en">0 / 1</td>' in row
    assert '<td class="tally-total">3 / 2</td>' in row
    assert '<td class="ratio">60 %</td>' in row
    policy_row = html[html.index(f'<tr data-article="{policy_es.pk}">'):]
    assert '<td class="tally-es">1 / 0</td>' in policy_row[:policy_row.index("</tr>")]
    languages = html[html.index('id="kb-language-tallies"'):]
    assert ('<tr data-language="es"><th scope="row">ES</th><td class="yes">4</td>'
            '<td class="no">1</td><td class="ratio">80 %</td></tr>') in languages
    assert ('<tr data-language="en"><th scope="row">EN</th><td class="yes">0</td>'
            '<td class="no">1</td><td class="ratio">0 %</td></tr>') in languages


def test_an_article_without_votes_shows_no_ratio(agent_client):
    make_article(slug="nuevo", title="Artículo nuevo")
    html = agent_client.get("/en/console/kb/").content.decode()
    assert "Artículo nuevo" in html and '<td class="ratio">—</td>' in html


def test_clients_and_visitors_cannot_see_the_tallies(client_user, mail_articles):
    signed_in_client = Client()
    signed_in_client.force_login(client_user)
    response = signed_in_client.get(URL)
    assert response.status_code == 403
    assert "tally" not in response.content.decode()
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/console/login/")


def test_an_agent_without_the_second_step_is_sent_to_it(agent_user):
    unverified = Client()
    unverified.force_login(agent_user)
    response = unverified.get(URL)
    assert response.status_code == 302 and "/console/2fa/" in response["Location"]


def test_the_admin_lists_articles_with_tallies_and_saves_through_the_index(mail_articles):
    es, _en = mail_articles
    vote(es, True, 1)
    vote(es, False, 2)
    admin = verify_session(Client(), factories.agent("jefa@modo3.net", admin=True))
    html = admin.get("/admin/kb/article/").content.decode()
    assert "50 %" in html
    response = admin.post(f"/admin/kb/article/{es.pk}/change/", {
        "language": "es", "title": es.title, "slug": es.slug, "category": es.category_id,
        "translation_of": "", "summary": es.summary, "body": "Ahora con Thunderbird.",
        "published": "on", "position": "0"})
    assert response.status_code == 302
    from xuala.kb import search

    assert [h.article.pk for h in search.search("thunderbird", language="es")] == [es.pk]
    response = admin.post("/admin/kb/article/add/", {
        "language": "es", "title": "Choque", "slug": "search", "category": "",
        "translation_of": "", "summary": "", "body": "x", "position": "0"})
    assert response.status_code == 200 and "usa una página" in response.content.decode()
