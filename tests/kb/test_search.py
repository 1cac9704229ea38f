"""Full-text search: the same behaviour on SQLite (FTS5) and PostgreSQL (full text search)."""

from __future__ import annotations

from django.db import connection

from tests.kb.conftest import make_article
from xuala.kb import search, services
from xuala.kb.models import Article
from xuala.policy.loader import default_policy_text


def slugs(hits) -> list[str]:
    return [hit.article.slug for hit in hits]


def test_it_ignores_accents_in_the_query_and_in_the_text(mail_articles):
    for query in ["configuracion", "CONFIGURACIÓN", "Configuración", "contrasena"]:
        assert slugs(search.search(query, language="es")) == ["configurar-correo"], query


def test_it_matches_the_last_word_as_a_prefix(mail_articles):
    make_article(slug="certificado-ssl", title="Renovar el certificado",
                 body="El certificado de Let's Encrypt se renueva solo.")
    assert slugs(search.search("certif", language="es")) == ["certificado-ssl"]
    assert slugs(search.search("servidor outl", language="es")) == ["configurar-correo"]
    assert search.search("certif", language="es", prefix=False) == []


def test_it_searches_only_the_requested_language(mail_articles):
    assert slugs(search.search("Outlook", language="es")) == ["configurar-correo"]
    assert slugs(search.search("Outlook", language="en")) == ["set-up-mail"]
    assert search.search("contraseña", language="en") == []


def test_it_requires_every_word_on_the_search_page_and_any_word_for_suggestions(mail_articles):
    make_article(slug="dns", title="Apuntar el dominio", body="Cambie los registros DNS.")
    assert search.search("dominio outlook", language="es") == []
    assert set(slugs(search.search("dominio outlook", language="es", match="any"))) == {
        "dns", "configurar-correo"}


def test_it_ranks_a_title_match_above_a_passing_mention(db):
    make_article(slug="mencion", title="Migrar una tienda",
                 body="Antes de migrar conviene revisar las copias y muchas otras cosas "
                      "que no tienen nada que ver con el asunto principal de este texto.")
    make_article(slug="copias", title="Copias de seguridad", summary="Cómo se hacen las copias.",
                 body="Guardamos copias de seguridad de su alojamiento.")
    hits = search.search("copias", language="es")
    assert slugs(hits) == ["copias", "mencion"]
    assert hits[0].rank > hits[1].rank


def test_it_leaves_out_unpublished_articles(db):
    make_article(slug="borrador", title="Correo en borrador", body="Texto.", published=False)
    assert search.search("borrador", language="es") == []


def test_it_marks_matches_in_an_escaped_snippet(db):
    make_article(slug="puertos", title="Puertos",
                 body="Si el cortafuegos <b>bloquea</b> el puerto 465 < 587 & no envía, cambie "
                      "de puerto.")
    [hit] = search.search("cortafuegos", language="es")
    assert "<mark>cortafuegos</mark>" in hit.snippet
    assert "&lt;" in hit.snippet and "&amp;" in hit.snippet
    assert "<b>" not in hit.snippet


def test_it_never_lets_an_article_forge_a_highlight(db):
    make_article(slug="marcas", title="Marcas", body="texto \ue000falso\ue001 y dominio")
    [hit] = search.search("dominio", language="es")
    assert "<mark>falso</mark>" not in hit.snippet


def test_it_ignores_operators_and_punctuation_typed_by_visitors(mail_articles):
    for query in ['"outlook', "outlook AND NOT", "outlook)*:^", "-outlook", "outlook OR"]:
        assert "configurar-correo" in slugs(search.search(query, language="es", match="any")), \
            query
    assert search.search("   ", language="es") == []
    assert search.search("!!!", language="es") == []


def test_it_finds_an_article_again_after_an_edit_and_forgets_a_deleted_one(mail_articles):
    es, _en = mail_articles
    es.body = "Ahora hablamos de Thunderbird."
    services.article_save(article=es)
    assert slugs(search.search("thunderbird", language="es")) == ["configurar-correo"]
    assert search.search("autenticación", language="es") == []
    services.article_delete(article=es)
    assert search.search("thunderbird", language="es") == []


def test_it_finds_the_policy_article_by_its_rendered_text(db):
    services.policy_articles_sync()
    assert slugs(search.search("Online Sentry", language="es")) == [
        "politicas-de-asistencia-tecnica"]
    assert slugs(search.search("uptime", language="en")) == ["politicas-de-asistencia-tecnica"]


def test_it_reindexes_the_policy_article_when_the_policy_changes(client, settings, tmp_path):
    client.get("/kb/search/?q=asistencia")
    path = tmp_path / "policy.toml"
    path.write_text(default_policy_text().replace("asistencia@modo3.net", "ayuda@modo3.net"))
    settings.XUALA_POLICY = str(path)
    html = client.get("/kb/search/?q=ayuda").content.decode()
    assert 'href="/kb/politicas-de-asistencia-tecnica/"' in html
    assert Article.objects.filter(is_policy=True).count() == 2  # re-indexed, not duplicated


def test_the_index_serves_the_queries(mail_articles):
    """SQLite: one FTS5 row per article, kept in step. PostgreSQL: the plan uses the GIN index
    of the article's language (the query's vector is exactly the indexed expression)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM kb_article_fts")
            assert cursor.fetchone()[0] == Article.objects.count()
            cursor.execute("EXPLAIN QUERY PLAN SELECT rowid FROM kb_article_fts "
                           "WHERE kb_article_fts MATCH 'correo'")
            assert "VIRTUAL TABLE INDEX" in " ".join(str(row) for row in cursor.fetchall())
    else:
        assert connection.vendor == "postgresql"
        # Enough rows for the planner to prefer an index to reading the table.
        Article.objects.bulk_create(
            Article(language=lang, slug=f"relleno-{lang}-{n}", title=f"Relleno {n}",
                    search_text=f"Texto de relleno {n} sin nada especial", published=True)
            for n in range(400) for lang in ("es", "en"))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE kb_article")
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = search.pg_queryset(["correo"], language="es").explain()
        assert "kb_article_search_es" in plan
        plan = search.pg_queryset(["mail"], language="en").explain()
        assert "kb_article_search_en" in plan
