"""Response headers every page gets: a strict Content-Security-Policy, and no caching of the
console, the client area, the admin and the API (tickets, attachments and PDFs are private)."""

from __future__ import annotations

import re

from django.utils.cache import add_never_cache_headers, patch_cache_control

# The console and the client area run no inline script or style: scripts and style sheets
# come from this site only, so injected markup cannot run.
STRICT = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'",
])
# The Django admin and the Swagger UI set inline styles; still no inline or foreign script.
RELAXED_STYLE = STRICT.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

_RELAXED = re.compile(r"^/(?:[a-z]{2}/)?(?:admin/|api/docs)")
_PRIVATE = re.compile(r"^/(?:admin/|api/|(?:[a-z]{2}/)?(?:console|portal)/)")


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path_info
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = (RELAXED_STYLE if _RELAXED.match(path)
                                                   else STRICT)
        if _PRIVATE.match(path):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response
