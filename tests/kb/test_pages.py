"""The knowledge base's pages: the index, articles (sanitised Markdown, drafts, translations),
search results and the suggestions fragment for the new-request form."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.console.conftest import verify_session
from tests.kb.conftest import make_article
from xuala.kb.models import Category


def test_the_index_lists_categories_and_articles_in_the_current_language(client, mail_articles):
    make_article(slug="sin-categoria", title="Un artículo suelto")
    html = client.get("/kb/").content.decode()
    assert "<h1>Base de conocimiento</h1>" in html
    assert "Correo electrónico" in html
    assert 'href="/kb/configurar-correo/"' in html and "Un artículo suelto" in html
    assert html.index("Correo electrónico") < html.index("Un artículo suelto")
    assert "set-up-mail" not in html
    assert 'href="/kb/politicas-de-asistencia-tecnica/"' in html
    assert 'id="kb-search-form"' in html and 'for="kb-q"' in html

    html = client.get("/en/kb/").content.decode()
    assert "<h1>Knowledge base</h1>" in html and "E-mail" in html
    assert 'href="/en/kb/set-up-mail/"' in html and "configurar-correo" not in html
    assert 'href="/en/kb/politicas-de-asistencia-tecnica/"' in html


def test_an_article_renders_its_markdown(client, mail_articles):
    html = client.get("/kb/configurar-correo/").content.decode()
    assert "<h1>Configuración del correo en Outlook</h1>" in html
    assert "<strong>configurar</strong>" in html
    assert "Correo electrónico" in html  # its category in the breadcrumb


def test_an_article_body_never_renders_scripts_or_handlers(client):
    make_article(slug="peligroso", title="Peligroso", body=(
        "Hola <script>alert('x')</script> mundo\n\n"
        '<img src="x" onerror="alert(1)"> <a href="javascript:alert(2)">enlace</a>\n\n'
        "[otro](javascript:alert(3)) <iframe src=\"https://evil.example/\"></iframe>\n\n"
        "<p onclick=\"alert(4)\">párrafo</p>"))
    html = client.get("/kb/peligroso/").content.decode()
    body = html[html.index('class="kb-body"'):html.index('id="vote"')]
    assert "<script" not in body and "alert('x')" not in body
    assert "onerror" not in body and "onclick" not in body
    assert "javascript:" not in body and "<iframe" not in body
    assert "mundo" in body and "párrafo" in body


def test_a_draft_is_hidden_from_visitors_and_clients_but_shown_to_agents(
        client_user, agent_user):
    make_article(slug="borrador", title="Borrador de correo", published=False)
    visitor = Client()
    assert visitor.get("/kb/borrador/").status_code == 404
    assert "Borrador de correo" not in visitor.get("/kb/").content.decode()
    signed_in_client = Client()
    signed_in_client.force_login(client_user)
    assert signed_in_client.get("/kb/borrador/").status_code == 404
    response = verify_session(Client(), agent_user).get("/kb/borrador/")
    assert response.status_code == 200
    assert "solo los agentes pueden ver" in response.content.decode()


def test_the_language_switch_goes_to_the_translation(client, mail_articles):
    # The language switch keeps the path: /kb/configurar-correo/ becomes /en/kb/configurar-correo/.
    response = client.get("/en/kb/configurar-correo/")
    assert response.status_code == 302 and response["Location"] == "/en/kb/set-up-mail/"
    response = client.get("/kb/set-up-mail/")
    assert response.status_code == 302 and response["Location"] == "/kb/configurar-correo/"
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/kb/configurar-correo/"})
    assert client.get(response["Location"], follow=True).redirect_chain[-1][0] == \
        "/en/kb/set-up-mail/"


def test_an_article_links_to_its_translation(client, mail_articles):
    html = client.get("/kb/configurar-correo/").content.decode()
    assert 'href="/en/kb/set-up-mail/" hreflang="en"' in html
    assert "Read this article in English" in html
    html = client.get("/en/kb/set-up-mail/").content.decode()
    assert 'href="/kb/configurar-correo/" hreflang="es"' in html
    assert "Leer este artículo en español" in html
    html = client.get("/kb/politicas-de-asistencia-tecnica/").content.decode()
    assert 'href="/en/kb/politicas-de-asistencia-tecnica/" hreflang="en"' in html


def test_an_article_without_translation_is_not_found_in_the_other_language(client):
    make_article(slug="solo-espanol", title="Solo en español")
    assert client.get("/en/kb/solo-espanol/").status_code == 404
    assert client.get("/kb/no-existe/").status_code == 404


def test_the_search_page_shows_highlighted_results(client, mail_articles):
    html = client.get("/kb/search/", {"q": "configuracion outlook"}).content.decode()
    assert "1 artículo encontrado" in html or "Un artículo encontrado" in html
    assert 'href="/kb/configurar-correo/"' in html
    assert "<mark>" in html
    html = client.get("/en/kb/search/", {"q": "mailbox"}).content.decode()
    assert 'href="/en/kb/set-up-mail/"' in html and "<mark>mailbox</mark>" in html


def test_the_search_page_falls_back_to_any_word_when_no_article_has_them_all(
        client, mail_articles):
    html = client.get("/kb/search/", {"q": "outlook tableta"}).content.decode()
    assert 'href="/kb/configurar-correo/"' in html


def test_the_search_page_escapes_the_query_and_handles_no_results(client, mail_articles):
    html = client.get("/kb/search/", {"q": "<script>zzqx()</script>"}).content.decode()
    assert "<script>zzqx()</script>" not in html
    assert "&lt;script&gt;" in html
    assert "0 artículos encontrados" in html
    assert client.get("/kb/search/").status_code == 200


def test_suggestions_are_a_short_fragment_of_matching_articles(client, mail_articles):
    for n in range(7):
        make_article(slug=f"correo-{n}", title=f"Correo en Outlook, caso {n}",
                     body="Problemas de correo en Outlook.")
    for n in range(12):  # most articles are about something else, as in a real base
        make_article(slug=f"otro-{n}", title=f"Otro asunto {n}", body="Dominios y copias.")
    response = client.get("/kb/suggest/", {"subject": "No me llega el correo",
                                            "description": "Uso Outlook en la oficina"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert html.count("<li ") == 5
    assert 'target="_blank" rel="noopener"' in html


def test_suggestions_answer_anonymous_visitors_and_empty_queries(client, mail_articles):
    assert client.get("/kb/suggest/", {"q": "outl"}).content.decode().count("<li ") == 1
    assert client.get("/kb/suggest/").content.decode().strip() == ""
    assert client.get("/kb/suggest/", {"q": "el de la"}).content.decode().strip() == ""
    html = client.get("/en/kb/suggest/", {"q": "mailbox"}).content.decode()
    assert 'href="/en/kb/set-up-mail/"' in html


def test_suggestions_include_the_policy_article(client):
    html = client.get("/kb/suggest/", {"q": "horario de atención"}).content.decode()
    assert 'href="/kb/politicas-de-asistencia-tecnica/"' in html


def test_the_new_request_form_asks_for_suggestions_while_the_client_types(client, client_user):
    client.force_login(client_user)
    html = client.get("/portal/tickets/new/").content.decode()
    assert 'id="kb-suggestions"' in html
    assert 'hx-get="/kb/suggest/"' in html
    assert 'hx-include="#id_subject, #id_description"' in html
    assert "/static/xuala/htmx.min.js" in html
    assert 'id="id_subject"' in html and 'id="id_description"' in html


def test_reserved_and_policy_addresses_cannot_be_taken(db):
    for slug in ["search", "suggest", "politicas-de-asistencia-tecnica"]:
        with pytest.raises(ValidationError):
            make_article(slug=slug, title="Choque")


def test_a_translation_must_be_in_the_other_language(mail_articles):
    es, _en = mail_articles
    with pytest.raises(ValidationError):
        make_article(slug="otra", title="Otra", translation_of=es)


def test_slugs_are_unique_per_language_only(db):
    cat = Category.objects.create(slug="c", name_es="C", name_en="C")
    make_article(slug="dns", title="DNS", category=cat)
    make_article(language="en", slug="dns", title="DNS", category=cat)
    with pytest.raises(ValidationError):
        make_article(slug="dns", title="Otro DNS")


def test_suggestions_leave_out_articles_that_share_only_a_common_word(client, mail_articles):
    make_article(slug="certificado", title="Renovar el certificado SSL",
                 summary="Qué hacer si el certificado ha caducado.",
                 body="El certificado se renueva solo cada 90 días.")
    make_article(slug="presupuestos", title="Presupuestos",
                 body="Un presupuesto caducado ya no se puede aceptar.")
    html = client.get("/kb/suggest/", {"subject": "El certificado SSL ha caducado"}) \
        .content.decode()
    assert 'href="/kb/certificado/"' in html
    assert "presupuestos" not in html


def test_pages_make_a_bounded_number_of_queries(client, mail_articles,
                                                django_assert_max_num_queries):
    for n in range(10):
        make_article(slug=f"extra-{n}", title=f"Extra {n}", category=mail_articles[0].category,
                     body="Correo y dominios.")
    client.get("/kb/")  # the policy article exists from here on
    with django_assert_max_num_queries(3):
        client.get("/kb/suggest/", {"q": "correo outlook"})
    with django_assert_max_num_queries(3):
        client.get("/kb/")
    with django_assert_max_num_queries(4):
        client.get("/kb/configurar-correo/")
    with django_assert_max_num_queries(3):
        client.get("/kb/search/", {"q": "correo"})
