"""The pages a visitor meets when something is missing or breaks: styled, in their language,
with the site's icon; and the company's one name, the policy's, on every page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

import xuala.urls
from xuala.policy.loader import default_policy_text


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [*xuala.urls.urlpatterns, path("boom/", boom)]
handler500 = xuala.urls.handler500


@pytest.mark.django_db
def test_a_missing_page_is_styled_and_in_spanish(client):
    response = client.get("/portal/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Página no encontrada</h1>" in html and "site.css" in html
    assert "La dirección que ha seguido no lleva a ninguna página" in html
    assert 'rel="icon"' in html


@pytest.mark.django_db
def test_a_missing_page_under_en_is_in_english(client):
    html = client.get("/en/portal/no-such-page/").content.decode()
    assert "<h1>Page not found</h1>" in html and 'lang="en"' in html


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_an_error_shows_the_styled_500_page_in_the_visitors_language():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", headers={"accept-language": "es"})
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Algo ha fallado</h1>" in html and "site.css" in html
    assert "Xuala Cloud" in html


@pytest.mark.django_db
def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")


@pytest.mark.django_db
def test_the_company_name_on_the_pages_is_the_policys(client, settings, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(default_policy_text().replace('company = "Xuala Cloud"',
                                                    'company = "Modo Tres Hosting"', 1))
    settings.XUALA_POLICY = str(policy)
    html = client.get("/portal/login/").content.decode()
    assert "Modo Tres Hosting" in html and "Xuala Cloud" not in html
