"""`xuala kb seed`: the first articles in both languages, linked, categorised, searchable, and
loaded once however many times the command runs."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from xuala.kb import search
from xuala.kb.models import Article, Category
from xuala.kb.seed import ENTRIES


def seed() -> str:
    out = StringIO()
    call_command("kb", "seed", stdout=out)
    return out.getvalue()


def test_it_loads_every_article_in_both_languages_linked(db):
    assert f"{2 * len(ENTRIES)} article(s) created" in seed()
    assert Category.objects.count() == 5
    for entry in ENTRIES:
        es = Article.objects.get(language="es", slug=entry.es.slug)
        en = Article.objects.get(language="en", slug=entry.en.slug)
        assert en.translation_of == es and es.published and en.published
        assert es.category == en.category and es.category.slug == entry.category
    policy = Article.objects.get(is_policy=True, language="es")
    assert policy.category.slug == "asistencia"


def test_it_loads_once(db):
    seed()
    assert "0 article(s) created" in seed()
    assert Article.objects.filter(is_policy=False).count() == 2 * len(ENTRIES)


def test_the_seed_answers_common_questions(db, client):
    seed()
    for query, language, slug in [
        ("thunderbird imap", "es", "configurar-correo-outlook-thunderbird"),
        ("let's encrypt", "en", "lets-encrypt-certificate"),
        ("presupuesto", "es", "como-pedir-un-presupuesto"),
        ("restaurar copia", "es", "restaurar-copia-de-seguridad"),
        ("dns", "en", "point-your-domain-to-xuala-cloud"),
        ("reunion", "es", "reservar-reunion-asistencia-personal"),
        ("online sentry", "en", "what-online-sentry-checks"),
    ]:
        assert search.search(query, language=language)[0].article.slug == slug, query
    html = client.get("/kb/configurar-correo-outlook-thunderbird/").content.decode()
    assert "<table>" in html and "<strong>993</strong>" in html


def test_reindex_rebuilds_the_search_index(db):
    seed()
    out = StringIO()
    call_command("kb", "reindex", stdout=out)
    assert f"{2 * len(ENTRIES) + 2} article(s) indexed" in out.getvalue()
    assert search.search("thunderbird", language="es")
