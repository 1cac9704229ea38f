"""Fixtures of the knowledge-base tests: articles saved through the services, agents with a
verified console session, and a client that comes from a given address."""

from __future__ import annotations

import pytest

from tests import factories
from tests.console.conftest import verify_session
from xuala.kb import services
from xuala.kb.models import Article, Category


@pytest.fixture(autouse=True)
def _database(db):
    """Every page of the knowledge base reads the database (the policy article is a row)."""


def make_article(*, language: str = "es", slug: str, title: str, body: str = "",
                 summary: str = "", category: Category | None = None, published: bool = True,
                 translation_of: Article | None = None, position: int = 0) -> Article:
    return services.article_save(article=Article(
        language=language, slug=slug, title=title, body=body, summary=summary,
        category=category, published=published, translation_of=translation_of,
        position=position))


@pytest.fixture
def category(db):
    return Category.objects.create(slug="correo", name_es="Correo electrónico", name_en="E-mail",
                                   position=1)


@pytest.fixture
def mail_articles(category):
    """A Spanish article about mail set-up and its English translation."""
    es = make_article(
        slug="configurar-correo", title="Configuración del correo en Outlook",
        summary="Datos IMAP y SMTP para su programa de correo.", category=category,
        body="Para **configurar** su buzón use el servidor IMAP en el puerto 993 y el "
             "servidor SMTP en el puerto 465.\n\nLa autenticación usa su contraseña.")
    en = make_article(
        language="en", slug="set-up-mail", title="Setting up mail in Outlook",
        summary="IMAP and SMTP settings for your mail program.", category=category,
        translation_of=es,
        body="To **configure** your mailbox use the IMAP server on port 993 and the SMTP "
             "server on port 465.\n\nAuthentication uses your password.")
    return es, en


@pytest.fixture
def agent_client(client, agent_user):
    return verify_session(client, agent_user)


@pytest.fixture
def client_user(plan_customer):
    return factories.contact_user(plan_customer)
