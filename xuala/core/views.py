"""Operational endpoints."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.html import escape
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.i18n import set_language as django_set_language


@require_GET
def demo_site(request, name: str):
    """The demo's stand-in websites, which its monitors check: a small page (200), and one
    that fails on purpose (503). Nothing here unless the demo is loaded."""
    from xuala.core.demo import FAILING_ON_PURPOSE, demo_present

    if not demo_present():
        raise Http404
    if name == FAILING_ON_PURPOSE:
        return HttpResponse("<!doctype html><title>Demo</title><h1>Failing on purpose</h1>"
                            "<p>This demo site fails on purpose, to show an incident.</p>",
                            status=503)
    return HttpResponse(f"<!doctype html><title>{escape(name)}</title><h1>{escape(name)}</h1>"
                        "<p>A demo site served by Xuala Desk for its monitors.</p>")


@never_cache
@require_GET
def healthz(request):
    """200 with the database round-trip time; 503 when the database cannot be reached."""
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return JsonResponse(
            {"status": "error", "database": "unreachable", "error": exc.__class__.__name__},
            status=503,
        )
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "database_vendor": connection.vendor,
            "database_ms": round((time.perf_counter() - started) * 1000, 2),
        }
    )


def set_language(request):
    """Django's set_language, reading ``next`` in the language of its own URL prefix.

    LocaleMiddleware activates Spanish on the unprefixed /i18n/setlang/ URL, so Django
    would not recognise an /en/... ``next`` and could not translate it back.
    """
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    source = translation.get_language_from_path(urlsplit(nxt).path) or settings.LANGUAGE_CODE
    with translation.override(source):
        return django_set_language(request)


def server_error(request):
    """The styled 500 page in the visitor's language; a plain one if even that fails."""
    from django.http import HttpResponseServerError
    from django.shortcuts import render

    try:
        return render(request, "500.html", status=500)
    except Exception:
        return HttpResponseServerError(
            "<!doctype html><title>Error 500</title><h1>Error 500</h1>",
            content_type="text/html")


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them to the site's icon."""
    from django.shortcuts import redirect
    from django.templatetags.static import static

    return redirect(static("xuala/favicon.svg"), permanent=True)
