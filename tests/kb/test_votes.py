""""Was this article helpful?": one vote per visitor and article, anonymous visitors through a
signed cookie, a rate limit per network address, CSRF protection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.kb.conftest import make_article
from xuala.kb import services
from xuala.kb.errors import VoteRateLimited
from xuala.kb.models import Article, Vote
from xuala.kb.views import VOTER_COOKIE

POLICY_ES = "/kb/politicas-de-asistencia-tecnica/"
POLICY_EN = "/en/kb/politicas-de-asistencia-tecnica/"
VOTE_ES = POLICY_ES + "vote/"


def policy(language: str = "es") -> Article:
    return Article.objects.get(is_policy=True, language=language)


def test_every_article_page_asks_whether_it_was_helpful(client, mail_articles):
    for url, question in [(POLICY_ES, "¿Le ha resultado útil este artículo?"),
                          (POLICY_EN, "Was this article helpful?"),
                          ("/kb/configurar-correo/", "¿Le ha resultado útil este artículo?"),
                          ("/en/kb/set-up-mail/", "Was this article helpful?")]:
        html = client.get(url).content.decode()
        assert question in html, url
        assert 'id="vote-form"' in html
        assert 'name="helpful" value="yes"' in html and 'name="helpful" value="no"' in html
        assert 'name="csrfmiddlewaretoken"' in html


def test_an_anonymous_visitor_votes_and_gets_a_signed_cookie_and_thanks(client):
    response = client.post(VOTE_ES, {"helpful": "yes"})
    assert response.status_code == 302
    assert response["Location"] == POLICY_ES + "#vote"
    cookie = response.cookies[VOTER_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    vote = Vote.objects.get()
    assert vote.article == policy("es") and vote.helpful is True
    assert vote.voter_key.startswith("a:") and cookie.value.split(":")[0] in vote.voter_key
    html = client.get(POLICY_ES).content.decode()
    assert 'id="vote-thanks"' in html and "Gracias" in html


def test_a_second_vote_from_the_same_visitor_changes_the_first(client):
    client.post(VOTE_ES, {"helpful": "yes"})
    client.post(VOTE_ES, {"helpful": "no"})
    client.post(VOTE_ES, {"helpful": "no"})
    vote = Vote.objects.get()
    assert vote.helpful is False


def test_each_visitor_has_one_vote(client, mail_articles):
    es, _en = mail_articles
    client.post("/kb/configurar-correo/vote/", {"helpful": "yes"})
    Client().post("/kb/configurar-correo/vote/", {"helpful": "no"})
    client.post("/kb/configurar-correo/vote/", {"helpful": "yes"})
    assert sorted(es.votes.values_list("helpful", flat=True)) == [False, True]


def test_a_forged_voter_cookie_does_not_count_as_that_visitor(client):
    client.post(VOTE_ES, {"helpful": "yes"})
    forger = Client()
    forger.cookies[VOTER_COOKIE] = "someone-else"  # not signed by us
    forger.post(VOTE_ES, {"helpful": "no"})
    assert sorted(Vote.objects.values_list("helpful", flat=True)) == [False, True]


def test_a_signed_in_user_votes_as_themselves_on_any_device(client, client_user):
    client.force_login(client_user)
    client.post(VOTE_ES, {"helpful": "no"})
    other_device = Client()
    other_device.force_login(client_user)
    other_device.post(VOTE_ES, {"helpful": "yes"})
    vote = Vote.objects.get()
    assert vote.voter_key == f"u:{client_user.pk}" and vote.helpful is True


def test_votes_in_english_go_to_the_english_article(client, mail_articles):
    _es, en = mail_articles
    response = client.post("/en/kb/set-up-mail/vote/", {"helpful": "yes"})
    assert response["Location"] == "/en/kb/set-up-mail/#vote"
    assert Vote.objects.get().article == en
    client.post("/en/kb/politicas-de-asistencia-tecnica/vote/", {"helpful": "no"})
    assert Vote.objects.get(article__is_policy=True).article.language == "en"
    html = client.get("/en/kb/set-up-mail/").content.decode()
    assert "Thank you for your feedback." in html


def test_the_twenty_first_vote_in_an_hour_from_one_address_is_refused(mail_articles):
    for _ in range(20):
        assert Client().post(VOTE_ES, {"helpful": "yes"}).status_code == 302
    assert Vote.objects.count() == 20
    response = Client().post(VOTE_ES, {"helpful": "yes"})
    assert response.status_code == 429
    html = response.content.decode()
    assert 'id="vote-error"' in html and "demasiados votos" in html
    assert VOTER_COOKIE not in response.cookies
    assert Vote.objects.count() == 20
    # Another address is not affected.
    assert Client(REMOTE_ADDR="192.0.2.7").post(VOTE_ES, {"helpful": "no"}).status_code == 302


def test_the_limit_counts_only_the_last_hour(db):
    article = services.policy_articles_sync()["es"]
    an_hour_ago = timezone.now() - timedelta(minutes=61)
    for n in range(20):
        services.vote_cast(article=article, helpful=True, voter_key=f"a:{n}", ip="192.0.2.1",
                           now=an_hour_ago)
    services.vote_cast(article=article, helpful=True, voter_key="a:new", ip="192.0.2.1")
    with pytest.raises(VoteRateLimited):
        for n in range(20):
            services.vote_cast(article=article, helpful=False, voter_key=f"b:{n}",
                               ip="192.0.2.1")
    assert Vote.objects.count() == 40


def test_the_address_is_never_stored(client):
    client.post(VOTE_ES, {"helpful": "yes"}, REMOTE_ADDR="198.51.100.23")
    vote = Vote.objects.get()
    assert "198.51.100.23" not in vote.ip_hash and len(vote.ip_hash) == 40


def test_a_vote_needs_the_csrf_token(mail_articles):
    guarded = Client(enforce_csrf_checks=True)
    assert guarded.post(VOTE_ES, {"helpful": "yes"}).status_code == 403
    assert Vote.objects.count() == 0


def test_a_vote_must_be_yes_or_no_on_an_existing_article(client, mail_articles):
    assert client.post(VOTE_ES, {"helpful": "maybe"}).status_code == 400
    assert client.post("/kb/no-existe/vote/", {"helpful": "yes"}).status_code == 404
    assert client.get(VOTE_ES).status_code == 405
    draft = make_article(slug="borrador", title="Borrador", published=False)
    assert client.post(f"/kb/{draft.slug}/vote/", {"helpful": "yes"}).status_code == 404
    assert Vote.objects.count() == 0


def test_visitors_never_see_the_tallies(client, mail_articles):
    es, _en = mail_articles
    for n in range(3):
        services.vote_cast(article=es, helpful=True, voter_key=f"a:{n}", ip="192.0.2.9")
    client.post("/kb/configurar-correo/vote/", {"helpful": "no"})
    html = client.get("/kb/configurar-correo/").content.decode()
    assert "75 %" not in html and ">3<" not in html and "3 / 1" not in html
