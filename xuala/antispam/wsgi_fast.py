"""Akismet's endpoints straight from the WSGI server, past Django's handler and middleware.

A `comment-check` is a form-encoded POST from a site's server, with its key in the body:
no session, no sign-in, no CSRF token, no page, no language to pick. The middleware the
desk's pages need (sessions, authentication, OTP, axes, htmx, static files, locale) costs
more than the verdict itself, and so do Django's request and response objects for a body
of a dozen fields. The production entry point (`xuala.wsgi`) sends `/akismet/1.1/*` here:
the body is read and parsed as Django would (`akismet.form_of`), the endpoint's answer is
the same function Django's views call (`akismet.ANSWERS`), and the response carries the
security headers the desk sets on every response. A multipart body (no Akismet client
sends one) and every other path go to Django's handler unchanged. The test client goes
through Django's full handler; `tests/antispam/test_wsgi_fast.py` holds the two paths to
the same answers.
"""

from __future__ import annotations

import logging

from django.db import close_old_connections, connections

from xuala.antispam import akismet

log = logging.getLogger(__name__)

PREFIX = "/akismet/1.1/"
FIXED_HEADERS = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
                 ("Cache-Control", "no-store")]
STATUS = {200: "200 OK", 400: "400 Bad Request", 405: "405 Method Not Allowed",
          413: "413 Request Entity Too Large", 429: "429 Too Many Requests",
          500: "500 Internal Server Error"}


def _answer(environ) -> akismet.Answer | None:
    """The endpoint's answer, or None for a request Django's handler should take."""
    path = environ.get("PATH_INFO", "")
    answer_form = akismet.ANSWERS.get(path[len(PREFIX):]) if path.startswith(PREFIX) else None
    if answer_form is None:
        return None
    if problem := akismet.method_problem(environ.get("REQUEST_METHOD", "GET")):
        return problem
    if environ.get("CONTENT_TYPE", "").startswith("multipart/"):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if problem := akismet.size_problem(length):
        return problem
    form = akismet.form_of(environ["wsgi.input"].read(length) if length > 0 else b"")
    return form if isinstance(form, akismet.Answer) else answer_form(form)


def wrap(django_app):
    """A WSGI application: Akismet's endpoints here, the rest to `django_app`."""

    def application(environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(PREFIX):
            return django_app(environ, start_response)
        try:
            answer = _answer(environ)
        except Exception:
            log.exception("akismet: %s failed", environ.get("PATH_INFO"))
            answer = akismet.Answer("Internal error.", 500)
        finally:
            # The answers touch the database only on a key this process has not seen lately
            # (and for reports): close such a connection as Django's handler would.
            if any(conn.connection is not None for conn in connections.all(initialized_only=True)):
                close_old_connections()
        if answer is None:
            return django_app(environ, start_response)
        body = answer.body.encode()
        start_response(STATUS.get(answer.status) or f"{answer.status} Error", [
            ("Content-Type", akismet.CONTENT_TYPE), ("Content-Length", str(len(body))),
            *answer.headers.items(), *FIXED_HEADERS])
        return [body]

    return application
