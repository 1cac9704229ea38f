"""URLs of the REST API: version 1 under /api/v1/, its reference page at /api/docs.

No app namespace here: django-ninja reverses its own "api-v1:" names from the root.
"""

from __future__ import annotations

from functools import wraps

from django.http import Http404, JsonResponse
from django.urls import URLPattern, path, re_path
from django.utils import translation
from django.utils.translation import gettext as _

from xuala.api.api import api


def in_request_language(view):
    """Answer in the language the caller asks for (cookie, then Accept-Language, then es).

    /api/ lies outside i18n_patterns, where LocaleMiddleware would always pick the default
    language; an API client states its language in the Accept-Language header instead.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        language = translation.get_language_from_request(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, *args, **kwargs)
        response.headers["Content-Language"] = language
        return response

    return wrapped


def json_errors(view):
    """Give the answers django-ninja makes outside its operations (an unknown route, a
    method the route does not take) the same JSON error body as every other error."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return not_found(request)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
                "application/json"):
            answer = JsonResponse({"code": "method_not_allowed",
                                   "detail": _("This route does not take that method.")},
                                  status=405)
            answer["Allow"] = response.get("Allow", "")
            return answer
        return response

    return wrapped


def not_found(request, *args, **kwargs):
    return JsonResponse({"code": "not_found", "detail": _("Not found.")}, status=404)


def docs(request):
    return api.docs.render_page(request, api)


def _v1():
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        assert isinstance(pattern, URLPattern), pattern
        pattern.callback = in_request_language(json_errors(pattern.callback))
    patterns.append(re_path(r"^.*$", in_request_language(not_found)))
    return patterns, app_name, namespace


urlpatterns = [
    path("v1/", _v1()),
    path("docs", in_request_language(docs), name="api-docs"),
]
