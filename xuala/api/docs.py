"""The interactive API reference: Swagger UI served from our own static files, no CDN.

The assets under ``static/api/`` are swagger-ui-dist 5.35.0 from the npm registry
(swagger-ui-bundle.js and swagger-ui.css, with their licence files), unchanged.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase


class LocalSwagger(DocsBase):
    template = "api/docs.html"
    settings: dict[str, Any] = {
        "layout": "BaseLayout",
        "deepLinking": True,
        "persistAuthorization": False,
        # Swagger UI would otherwise send the document to validator.swagger.io for a badge.
        "validatorUrl": None,
    }

    def render_page(self, request: HttpRequest, api, **kwargs: Any) -> HttpResponse:
        openapi_url = self.get_openapi_url(api, kwargs)
        config = {**self.settings, "url": openapi_url}
        return render(request, self.template, {
            "api": api,
            "openapi_url": openapi_url,
            "swagger_settings": config,
        })
