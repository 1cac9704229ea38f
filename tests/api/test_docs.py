"""The OpenAPI document and the interactive reference page."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from django.contrib.staticfiles import finders
from django.urls import reverse

from xuala.api.api import api

EXPECTED_OPERATIONS = {
    ("get", "/api/v1/tickets"), ("post", "/api/v1/tickets"),
    ("get", "/api/v1/tickets/{ticket_id}"),
    ("post", "/api/v1/tickets/{ticket_id}/replies"),
    ("post", "/api/v1/tickets/{ticket_id}/status"),
    ("get", "/api/v1/customers"), ("get", "/api/v1/customers/{customer_id}"),
    ("get", "/api/v1/services"), ("get", "/api/v1/sites"), ("get", "/api/v1/contracts"),
    ("post", "/api/v1/antispam/check"),
    ("post", "/api/v1/nodes/claim"), ("post", "/api/v1/nodes/jobs/{job_id}/heartbeat"),
    ("post", "/api/v1/nodes/jobs/{job_id}/result"),
}


def test_it_serves_the_openapi_document_listing_every_route(client, db):
    assert reverse("api-v1:openapi-json") == "/api/v1/openapi.json"
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["version"] == "1"
    operations = {(method, path) for path, item in document["paths"].items()
                  for method in item}
    assert operations == EXPECTED_OPERATIONS
    assert document["components"]["securitySchemes"]["BearerToken"] == {
        "type": "http", "scheme": "bearer"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            scheme = "NodeBearer" if path.startswith("/api/v1/nodes/") else "BearerToken"
            assert operation["security"] == [{scheme: []}], (method, path)
    ticket = document["components"]["schemas"]["TicketOut"]["properties"]
    assert "class" in ticket and "ticket_class" not in ticket


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_it_serves_the_reference_page_with_local_assets_only(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="swagger-ui"' in html
    assert '"url": "/api/v1/openapi.json"' in html
    assert '"validatorUrl": null' in html
    urls = _asset_urls(html)
    assert any(url.endswith("api/swagger-ui-bundle.js") for url in urls)
    assert any(url.endswith("api/swagger-ui.css") for url in urls)
    for url in urls:
        parsed = urlparse(url)
        assert not parsed.scheme and not parsed.netloc, url
    for url in urls:
        if url.startswith("/static/api/"):
            assert finders.find(url.removeprefix("/static/")), url
    # Nothing on the page loads from another host, whatever the attribute.
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", html)
    assert "cdn" not in html.lower()


def test_the_vendored_assets_do_not_pull_code_or_styles_from_another_host(db):
    with open(finders.find("api/swagger-ui.css"), encoding="utf-8") as handle:
        css = handle.read()
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", css)
    assert not re.search(r"@import", css)


def test_the_api_object_is_the_one_mounted_at_api_v1(db):
    assert api.urls_namespace == "api-v1"
    paths = api.get_openapi_schema()["paths"]
    assert all(path.startswith("/api/v1/") for path in paths)
