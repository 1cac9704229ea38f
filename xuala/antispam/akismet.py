"""Akismet's REST protocol (1.1) at the desk's web server: a thin face over the anti-spam services.

Form-encoded POSTs with Akismet's field names; plain-text answers as Akismet gives them:
`valid`/`invalid` for verify-key, `true`/`false` for comment-check (with
`X-akismet-pro-tip: discard` for certain spam and `X-akismet-guid` naming the stored
check), and "Thanks for making the web a better place." for submissions. A bad key
answers `invalid` with `X-akismet-debug-help`; a missing field, an oversized body or a
body that cannot be read answers 400/413 with a one-line body and the same header. No
input is meant to produce a 500.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import unquote

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from xuala.antispam import selectors, services
from xuala.antispam.filter import Item, domain_of, form_type

THANKS = "Thanks for making the web a better place."
CONTENT_TYPE = "text/plain; charset=utf-8"
REQUIRED = {"comment-check": ("blog", "user_ip"), "submit-spam": ("blog",),
            "submit-ham": ("blog",), "verify-key": ("blog",)}
KEY_HELP = {
    "key_missing": "Send your key in the api_key field.",
    "key_unknown": "This key is not known; ask your hosting company for the site's key.",
    "key_revoked": "This key has been revoked; ask your hosting company for a new one.",
    "site_without_plan": "The site of this key has no active coverage plan.",
    "wrong_blog": "This key belongs to another site than the blog you sent.",
}
KNOWN = {"api_key", "key", "blog", "user_ip", "user_agent", "referrer", "permalink", "comment_type",
         "comment_author", "comment_author_email", "comment_author_url", "comment_content",
         "comment_date_gmt", "comment_post_modified_gmt", "blog_lang", "blog_charset",
         "is_test", "recheck_reason", "user_role", "honeypot_field_name", "guid"}


@dataclass
class Answer:
    """What an endpoint answers: status, plain-text body and Akismet's extra headers."""

    body: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    def http(self) -> HttpResponse:
        """The answer as Django's response (the views behind Django's handler)."""
        response = HttpResponse(self.body, status=self.status, content_type=CONTENT_TYPE)
        for name, value in self.headers.items():
            response[name] = value
        return response


def _problem(body: str, status: int, help_text: str) -> Answer:
    return Answer(body, status, {"X-akismet-debug-help": help_text})


def method_problem(method: str) -> Answer | None:
    if method == "POST":
        return None
    answer = _problem("Use POST.", 405, "Akismet calls are form-encoded POST requests.")
    answer.headers["Allow"] = "POST"
    return answer


def size_problem(length: int) -> Answer | None:
    """413 past `XUALA_ANTISPAM_MAX_BODY_BYTES` (the declared length or the body read)."""
    limit = settings.XUALA_ANTISPAM_MAX_BODY_BYTES
    if length <= limit:
        return None
    return _problem("Request body too large.", 413, f"Send at most {limit} bytes.")


def _pairs(body: bytes, encoding: str) -> list[tuple[str, str]]:
    """The fields of a form-encoded body, as Django's QueryDict reads them (`parse_qsl` with
    blank values kept): raw bytes in `encoding` (Latin-1 when they do not fit), then the
    percent-escapes in `encoding`, bytes that do not fit replaced. A field without an
    escape is not unquoted (most of them)."""
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        text = body.decode("iso-8859-1")
    parts = text.split("&")
    if len(parts) > settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:
        raise TooManyFieldsSent("Too many fields.")
    pairs = []
    for part in parts:
        if not part:
            continue
        name, _, value = part.partition("=")
        if "+" in name or "%" in name:
            name = unquote(name.replace("+", " "), encoding, "replace")
        if "+" in value or "%" in value:
            value = unquote(value.replace("+", " "), encoding, "replace")
        pairs.append((name, value))
    return pairs


def form_of(body: bytes) -> dict[str, str] | Answer:
    """A form-encoded body's fields (the last value of a repeated one), read in the blog's
    charset when it names one we know, or the answer that refuses it."""
    if problem := size_problem(len(body)):
        return problem
    try:
        # Django reads form-encoded bodies as UTF-8 only; Akismet's clients name their charset.
        if b"blog_charset" not in body:
            return dict(_pairs(body, "utf-8"))
        probe = dict(_pairs(body, "latin-1")).get("blog_charset", "")
        return dict(_pairs(body, _charset(probe)))
    except TooManyFieldsSent:
        return _problem("Too many fields.", 400, "Send only Akismet's fields.")


def _form(request: HttpRequest) -> Mapping[str, str] | Answer:
    """The posted fields of a request through Django's handler (multipart too)."""
    if problem := method_problem(request.method):
        return problem
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if problem := size_problem(length):
        return problem
    try:
        if request.content_type == "multipart/form-data":
            return size_problem(len(request.body)) or request.POST
        return form_of(request.body)
    except RequestDataTooBig:
        return size_problem(settings.XUALA_ANTISPAM_MAX_BODY_BYTES + 1)
    except TooManyFieldsSent:
        return _problem("Too many fields.", 400, "Send only Akismet's fields.")
    except MultiPartParserError:
        return _problem("Unreadable form.", 400, "Send the fields form-encoded.")


def _charset(name: str) -> str:
    """The blog's charset when it is a text encoding Python knows; UTF-8 otherwise.

    Bytes that do not fit the charset are replaced, never refused: a comment in a
    mislabelled charset is still judged.
    """
    try:
        codec = codecs.lookup(name.strip())
    except (LookupError, ValueError):
        return "utf-8"
    if not getattr(codec, "_is_text_encoding", True) or codec.name.startswith("utf-16"):
        return "utf-8"
    return codec.name


def _key_problem(form: Mapping[str, str], endpoint: str
                 ) -> tuple[selectors.KeyCheck | None, Answer | None]:
    secret = form.get("api_key") or form.get("key") or ""
    found = selectors.key_for_secret(secret=secret, on=timezone.now())
    if found.key is None:
        return None, Answer("invalid", headers={"X-akismet-debug-help": KEY_HELP[found.problem]})
    blog = domain_of(form.get("blog", ""))
    if blog and blog != domain_of(found.site.url):
        return None, Answer("invalid", headers={"X-akismet-debug-help": KEY_HELP["wrong_blog"]})
    missing = [name for name in REQUIRED[endpoint] if not form.get(name, "").strip()]
    if missing:
        return None, _problem(f"Missing required field: {missing[0]}.", 400,
                              f"Empty or missing required field: {', '.join(missing)}.")
    if not services.antispam_rate_allow(key=found.key):
        return None, _problem("Too many requests.", 429,
                              "This key sent more checks this minute than its plan allows.")
    return found, None


def _languages(form: Mapping[str, str]) -> tuple[str, ...]:
    codes = []
    for part in form.get("blog_lang", "").replace(";", ",").split(","):
        code = part.strip()[:2].lower()
        if code.isalpha() and code not in codes:
            codes.append(code)
    return tuple(codes) or ("es",)


def item_from_form(form: Mapping[str, str]) -> Item:
    extra = {name: form.get(name, "") for name in form if name not in KNOWN}
    if form.get("honeypot_field_name"):
        extra["honeypot_field_name"] = form["honeypot_field_name"]
    return Item(content=form.get("comment_content", ""), author=form.get("comment_author", ""),
                email=form.get("comment_author_email", ""), url=form.get("comment_author_url", ""),
                type=form_type(form.get("comment_type", "")), user_ip=form.get("user_ip", ""),
                user_agent=form.get("user_agent", ""), referrer=form.get("referrer", ""),
                extra=extra)


def _is_test(form: Mapping[str, str]) -> bool:
    return form.get("is_test", "").strip().lower() in ("1", "true", "yes")


def verify_key_answer(form: Mapping[str, str]) -> Answer:
    _found, problem = _key_problem(form, "verify-key")
    return problem or Answer("valid")


def comment_check_answer(form: Mapping[str, str]) -> Answer:
    found, problem = _key_problem(form, "comment-check")
    if problem:
        return problem
    check, decided = services.antispam_check(site=found.site, item=item_from_form(form),
                                             languages=_languages(form), is_test=_is_test(form))
    headers = {"X-akismet-guid": check.guid}
    if decided.certain:
        headers["X-akismet-pro-tip"] = "discard"
    return Answer("true" if decided.spam else "false", headers=headers)


def _submit_answer(form: Mapping[str, str], *, spam: bool) -> Answer:
    found, problem = _key_problem(form, "submit-spam" if spam else "submit-ham")
    if problem:
        return problem
    if not _is_test(form):
        services.antispam_report(site=found.site, item=item_from_form(form), spam=spam,
                                 languages=_languages(form), guid=form.get("guid", ""))
    return Answer(THANKS)


# Each endpoint's answer to a form, for Django's views below and for the production entry
# point, which calls them past the pages' middleware (wsgi_fast.py).
ANSWERS: dict[str, Callable[[Mapping[str, str]], Answer]] = {
    "verify-key": verify_key_answer, "comment-check": comment_check_answer,
    "submit-spam": partial(_submit_answer, spam=True),
    "submit-ham": partial(_submit_answer, spam=False)}


def _view(endpoint: str):
    answer_form = ANSWERS[endpoint]

    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        form = _form(request)
        return (form if isinstance(form, Answer) else answer_form(form)).http()

    view.__name__ = endpoint.replace("-", "_")
    return view


# Django's views of the endpoints (urls.py), for requests through its handler.
VIEWS = {endpoint: _view(endpoint) for endpoint in ANSWERS}
