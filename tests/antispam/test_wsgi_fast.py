"""The production entry point answers Akismet's calls past the pages' middleware, with the
same answers as Django's full handler (which the test client goes through)."""

from __future__ import annotations

import io
import sys
from urllib.parse import urlencode

import pytest
from django.core.handlers.wsgi import WSGIHandler

from tests.antispam.conftest import PLAN_BLOG
from xuala.antispam import wsgi_fast
from xuala.antispam.models import Check

pytestmark = pytest.mark.django_db(transaction=True)


def _call(app, path: str, fields: dict | None, method: str = "POST"):
    body = urlencode(fields or {}).encode()
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
               "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
               "CONTENT_TYPE": "application/x-www-form-urlencoded",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
               "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
               "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    result = app(environ, start_response)
    body = b"".join(result)
    if hasattr(result, "close"):
        result.close()
    return int(seen["status"].split()[0]), seen["headers"], body


def _both(path, fields, method="POST"):
    full = WSGIHandler()
    return _call(wsgi_fast.wrap(full), path, fields, method), _call(full, path, fields, method)


def test_comment_check_answers_as_the_full_handler_and_stores_the_verdict(plan_key):
    fields = {"api_key": plan_key, "blog": PLAN_BLOG, "user_ip": "203.0.113.9",
              "comment_content": "Buy cheap pills at https://pills.example.ru now http://x.ru"}
    (status, headers, body), (full_status, _, full_body) = _both(
        "/akismet/1.1/comment-check", fields)
    assert (status, body) == (full_status, full_body) == (200, b"true")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert Check.objects.filter(guid=headers["X-akismet-guid"]).exists()


@pytest.mark.parametrize(("path", "fields", "method"), [
    ("/akismet/1.1/verify-key", {"api_key": "xs-nobody", "blog": PLAN_BLOG}, "POST"),
    ("/akismet/1.1/comment-check", {}, "GET"),
    ("/akismet/1.1/comment-check", {"api_key": "", "blog": PLAN_BLOG}, "POST"),
])
def test_problems_answer_as_the_full_handler(plan_key, path, fields, method):
    (status, headers, body), (full_status, full_headers, full_body) = _both(path, fields, method)
    assert (status, body) == (full_status, full_body)
    assert headers.get("X-akismet-debug-help") == full_headers.get("X-akismet-debug-help")


def _raw(app, body: bytes, content_type: str = "application/x-www-form-urlencoded"):
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/akismet/1.1/comment-check",
               "SCRIPT_NAME": "", "QUERY_STRING": "", "SERVER_NAME": "testserver",
               "SERVER_PORT": "80", "HTTP_HOST": "testserver", "CONTENT_TYPE": content_type,
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
               "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
               "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}
    seen = {}
    answer = b"".join(app(environ, lambda status, headers, exc_info=None: seen.update(
        status=int(status.split()[0]), headers=dict(headers))))
    return seen["status"], seen["headers"].get("X-akismet-debug-help"), answer


@pytest.mark.parametrize("build", [
    lambda key: f"api_key={key}&blog={PLAN_BLOG}&user_ip=1.2.3.4&comment_content=" + "a" * 300_000,
    lambda key: (f"api_key={key}&blog={PLAN_BLOG}&user_ip=1.2.3.4&blog_charset=ISO-8859-1"
                 "&comment_author=Bego%F1a&comment_content=Qu%E9+rico"),
    lambda key: f"api_key={key}&blog={PLAN_BLOG}&user_ip=1.2.3.4&blog_charset=base64&x=%FF%FE",
    lambda key: f"api_key={key}&blog={PLAN_BLOG}&" + "&".join(f"f{n}=x" for n in range(1500)),
    lambda key: f"api_key={key}&blog={PLAN_BLOG}&user_ip=",
    lambda key: "",
    lambda key: "%%%&&&===",
], ids=["huge", "latin-1", "no-such-charset", "too-many-fields", "missing-ip", "empty", "junk"])
def test_bad_bodies_get_the_full_handlers_answers_on_the_fast_path(plan_key, build):
    body = build(plan_key).encode()
    full = WSGIHandler()
    fast, slow = _raw(wsgi_fast.wrap(full), body), _raw(full, body)
    assert fast[:2] == slow[:2] and fast[0] != 500
    if fast[0] == 200:
        assert fast[2] in (b"true", b"false", b"invalid") and slow[2] in (b"true", b"false",
                                                                          b"invalid")


def test_a_multipart_body_is_left_to_djangos_handler(plan_key):
    boundary = "xualaboundary"
    parts = {"api_key": plan_key, "blog": PLAN_BLOG, "user_ip": "1.2.3.4",
             "comment_content": "Hola, ¿abrís el sábado?"}
    body = "".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                   f"{value}\r\n" for name, value in parts.items()) + f"--{boundary}--\r\n"
    status, _help, answer = _raw(wsgi_fast.wrap(WSGIHandler()), body.encode(),
                                 f"multipart/form-data; boundary={boundary}")
    assert (status, answer) == (200, b"false")
    assert Check.objects.get().content == "Hola, ¿abrís el sábado?"


def test_other_paths_go_to_django(plan_key):
    (status, _headers, _body), (full_status, _, _) = _both("/akismet/1.1/nothing-here", {})
    assert status == full_status == 404


@pytest.mark.parametrize("body", [
    b"a=1&b=&c&&d=x+y%20z&e=%E9t%E9&a=2", b"name%2Bx=caf%C3%A9+con+leche&empty=",
    "clé=été".encode(), "clé=été".encode("latin-1"), b"=novalue&x==y", b""])
@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_a_body_is_read_as_djangos_querydict_reads_it(body, encoding):
    from django.http import QueryDict

    from xuala.antispam.akismet import _pairs

    expected = QueryDict(body, encoding=encoding)
    grouped: dict[str, list[str]] = {}
    for name, value in _pairs(body, encoding):
        grouped.setdefault(name, []).append(value)
    assert grouped == dict(expected.lists())
