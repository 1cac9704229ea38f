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

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from xuala.antispam import selectors, services
from xuala.antispam.filter import Item, domain_of, form_type

THANKS = "Thanks for making the web a better place."
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


def _answer(body: str, status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _problem(body: str, status: int, help_text: str) -> HttpResponse:
    return _answer(body, status, X_akismet_debug_help=help_text)


def _form(request: HttpRequest) -> QueryDict | HttpResponse:
    """The posted fields, read in the blog's charset when it names one we know."""
    if request.method != "POST":
        response = _problem("Use POST.", 405, "Akismet calls are form-encoded POST requests.")
        response["Allow"] = "POST"
        return response
    limit = settings.XUALA_ANTISPAM_MAX_BODY_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return _problem("Request body too large.", 413, f"Send at most {limit} bytes.")
    try:
        if len(request.body) > limit:
            return _problem("Request body too large.", 413, f"Send at most {limit} bytes.")
        if request.content_type == "multipart/form-data":
            return request.POST
        # Django reads form-encoded bodies as UTF-8 only; Akismet's clients name their charset.
        body = request.body
        if b"blog_charset" not in body:
            return QueryDict(body, encoding="utf-8")
        probe = QueryDict(body, encoding="latin-1").get("blog_charset", "")
        return QueryDict(body, encoding=_charset(probe))
    except RequestDataTooBig:
        return _problem("Request body too large.", 413, f"Send at most {limit} bytes.")
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


def _key_problem(form: QueryDict, endpoint: str
                 ) -> tuple[selectors.KeyCheck | None, HttpResponse | None]:
    secret = form.get("api_key") or form.get("key") or ""
    found = selectors.key_for_secret(secret=secret, on=timezone.now())
    if found.key is None:
        return None, _answer("invalid", X_akismet_debug_help=KEY_HELP[found.problem])
    blog = domain_of(form.get("blog", ""))
    if blog and blog != domain_of(found.site.url):
        return None, _answer("invalid", X_akismet_debug_help=KEY_HELP["wrong_blog"])
    missing = [name for name in REQUIRED[endpoint] if not form.get(name, "").strip()]
    if missing:
        return None, _problem(f"Missing required field: {missing[0]}.", 400,
                              f"Empty or missing required field: {', '.join(missing)}.")
    if not services.antispam_rate_allow(key=found.key):
        return None, _problem("Too many requests.", 429,
                              "This key sent more checks this minute than its plan allows.")
    return found, None


def _languages(form: QueryDict) -> tuple[str, ...]:
    codes = []
    for part in form.get("blog_lang", "").replace(";", ",").split(","):
        code = part.strip()[:2].lower()
        if code.isalpha() and code not in codes:
            codes.append(code)
    return tuple(codes) or ("es",)


def item_from_form(form: QueryDict) -> Item:
    extra = {name: form.get(name, "") for name in form if name not in KNOWN}
    if form.get("honeypot_field_name"):
        extra["honeypot_field_name"] = form["honeypot_field_name"]
    return Item(content=form.get("comment_content", ""), author=form.get("comment_author", ""),
                email=form.get("comment_author_email", ""), url=form.get("comment_author_url", ""),
                type=form_type(form.get("comment_type", "")), user_ip=form.get("user_ip", ""),
                user_agent=form.get("user_agent", ""), referrer=form.get("referrer", ""),
                extra=extra)


def _is_test(form: QueryDict) -> bool:
    return form.get("is_test", "").strip().lower() in ("1", "true", "yes")


@csrf_exempt
def verify_key(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    if isinstance(form, HttpResponse):
        return form
    _found, problem = _key_problem(form, "verify-key")
    return problem or _answer("valid")


@csrf_exempt
def comment_check(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    if isinstance(form, HttpResponse):
        return form
    found, problem = _key_problem(form, "comment-check")
    if problem:
        return problem
    check, decided = services.antispam_check(site=found.site, item=item_from_form(form),
                                             languages=_languages(form), is_test=_is_test(form))
    headers = {"X_akismet_guid": check.guid}
    if decided.certain:
        headers["X_akismet_pro_tip"] = "discard"
    return _answer("true" if decided.spam else "false", **headers)


def _submit(request: HttpRequest, *, spam: bool) -> HttpResponse:
    form = _form(request)
    if isinstance(form, HttpResponse):
        return form
    found, problem = _key_problem(form, "submit-spam" if spam else "submit-ham")
    if problem:
        return problem
    if not _is_test(form):
        services.antispam_report(site=found.site, item=item_from_form(form), spam=spam,
                                 languages=_languages(form), guid=form.get("guid", ""))
    return _answer(THANKS)


@csrf_exempt
def submit_spam(request: HttpRequest) -> HttpResponse:
    return _submit(request, spam=True)


@csrf_exempt
def submit_ham(request: HttpRequest) -> HttpResponse:
    return _submit(request, spam=False)
