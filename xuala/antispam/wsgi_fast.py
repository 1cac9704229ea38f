"""Akismet's endpoints straight from the WSGI server, past the desk's middleware.

A `comment-check` is a form-encoded POST from a site's server, with its key in the body:
no session, no sign-in, no CSRF token, no page, no language to pick. The middleware the
desk's pages need (sessions, authentication, OTP, axes, htmx, static files, locale) costs
more than the verdict itself, so the production entry point (`xuala.wsgi`) sends
`/akismet/1.1/*` here: the same views (`xuala.antispam.akismet`), called with Django's
own `WSGIRequest`, answered with the security headers the desk sets on every response.
Everything else goes to Django's handler unchanged. The test client goes through Django's
full handler; `tests/antispam/test_wsgi_fast.py` holds the two paths to the same answers.
"""

from __future__ import annotations

import logging

from django.core.handlers.wsgi import WSGIRequest
from django.db import close_old_connections, connections
from django.http import HttpResponse

from xuala.antispam import akismet

log = logging.getLogger(__name__)

PREFIX = "/akismet/1.1/"
VIEWS = {"verify-key": akismet.verify_key, "comment-check": akismet.comment_check,
         "submit-spam": akismet.submit_spam, "submit-ham": akismet.submit_ham}
FIXED_HEADERS = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
                 ("Cache-Control", "no-store")]


def _respond(response: HttpResponse, start_response):
    status = f"{response.status_code} {response.reason_phrase}"
    headers = [*response.items(), *FIXED_HEADERS]
    start_response(status, headers)
    return [response.content]


def wrap(django_app):
    """A WSGI application: Akismet's endpoints here, the rest to `django_app`."""

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        view = VIEWS.get(path[len(PREFIX):]) if path.startswith(PREFIX) else None
        if view is None:
            return django_app(environ, start_response)
        try:
            response = view(WSGIRequest(environ))
        except Exception:
            log.exception("akismet: %s failed", path)
            response = HttpResponse("Internal error.", status=500,
                                    content_type="text/plain; charset=utf-8")
        finally:
            # The views touch the database only on a key this process has not seen lately
            # (and for reports): close such a connection as Django's handler would.
            if any(conn.connection is not None for conn in connections.all(initialized_only=True)):
                close_old_connections()
        return _respond(response, start_response)

    return application
