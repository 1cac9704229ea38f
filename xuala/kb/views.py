"""Knowledge-base pages: the index, search, suggestions for the new-request form, articles
(the policy article among them) and the "Was this article helpful?" votes."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from xuala.kb import search, selectors, services
from xuala.kb.errors import VoteRateLimited
from xuala.kb.markup import render_markdown
from xuala.kb.models import Article
from xuala.kb.policy_article import build_article
from xuala.policy.selectors import policy_active

VOTER_COOKIE = "kb_voter"
VOTER_SALT = "xuala.kb.voter"
VOTER_MAX_AGE = timedelta(days=365)
MAX_QUERY = 200
SUGGESTIONS = 5
# A suggestion must rank at least this share of the best one (measured on the seed articles).
SUGGESTION_MIN_SHARE = 0.35
SEARCH_RESULTS = 30


def _language(request) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or translation.get_language() or "es"


def voter_key(request) -> str | None:
    """``u:<id>`` for a signed-in user; ``a:<token>`` for a visitor with our signed cookie."""
    if request.user.is_authenticated:
        return f"u:{request.user.pk}"
    token = request.get_signed_cookie(VOTER_COOKIE, default=None, salt=VOTER_SALT,
                                      max_age=VOTER_MAX_AGE)
    return f"a:{token}" if token else None


def article_url(article: Article) -> str:
    with translation.override(article.language):
        if article.is_policy:
            return reverse("kb:policy")
        return reverse("kb:article", args=[article.slug])


# --------------------------------------------------------------------------------- pages

@require_GET
def kb_index(request):
    language = _language(request)
    policy = services.policy_articles_sync().get(language)
    return render(request, "kb/index.html", {
        "groups": selectors.kb_index(language=language, user=request.user),
        "policy": policy,
        "title": translation.gettext("Knowledge base"),
    })


@require_GET
def kb_search(request):
    language = _language(request)
    query = (request.GET.get("q") or "").strip()[:MAX_QUERY]
    services.policy_articles_sync()
    hits = []
    if query:
        # Every word first; failing that, any of them, best matches first.
        hits = (search.search(query, language=language, limit=SEARCH_RESULTS)
                or search.search(query, language=language, match="any", limit=SEARCH_RESULTS))
    return render(request, "kb/search.html", {
        "query": query, "hits": hits, "title": translation.gettext("Search the knowledge base"),
    })


@require_GET
def kb_suggest(request):
    """An HTML fragment of up to five articles matching what a client is typing (``q``, or the
    new-request form's ``subject`` and ``description``)."""
    language = _language(request)
    text = " ".join(request.GET.get(name, "") for name in ("q", "subject", "description"))
    text = text.strip()[:MAX_QUERY]
    hits = []
    if text:
        services.policy_articles_sync()
        hits = search.search(text, language=language, match="any", limit=SUGGESTIONS,
                             min_share=SUGGESTION_MIN_SHARE)
    response = render(request, "kb/_suggestions.html", {"hits": hits})
    response["Cache-Control"] = "private, max-age=60"
    return response


def _article_context(request, article: Article) -> dict:
    return {
        "article": article,
        "vote": selectors.vote_of(article=article, voter_key=voter_key(request)),
        "translation": selectors.article_translation(article=article, user=request.user),
        "vote_url": reverse("kb:vote", args=[article.slug]),
    }


def _render_article(request, article: Article, *, vote_error: str = "", status: int = 200):
    context = _article_context(request, article)
    context["vote_error"] = vote_error
    if article.is_policy:
        loaded = policy_active()
        context.update({
            "title": loaded.policy.policy.name.get(article.language),
            "sections": build_article(loaded),
            "policy_sha": loaded.sha256[:12],
        })
        template = "kb/policy_article.html"
    else:
        context.update({"title": article.title, "body_html": render_markdown(article.body)})
        template = "kb/article.html"
    return render(request, template, context, status=status)


@never_cache
@require_GET
def policy_article(request):
    language = _language(request)
    article = services.policy_articles_sync()[language]
    return _render_article(request, article)


@never_cache
@require_GET
def article_detail(request, slug: str):
    language = _language(request)
    try:
        article = selectors.article_for_reader(language=language, slug=slug, user=request.user)
    except Http404:
        # The language switch keeps the slug: go to this article's translation if it has one.
        other = selectors.translation_for_slug(language=language, slug=slug, user=request.user)
        if other is None:
            raise
        return redirect(article_url(other))
    return _render_article(request, article)


@require_POST
def vote(request, slug: str):
    language = _language(request)
    if slug == services.POLICY_SLUG:
        services.policy_articles_sync()
    article = selectors.article_for_reader(language=language, slug=slug, user=request.user)
    choice = request.POST.get("helpful")
    if choice not in ("yes", "no"):
        return HttpResponseBadRequest("helpful must be yes or no")
    key = voter_key(request)
    new_token = None
    if key is None:
        new_token = secrets.token_urlsafe(18)
        key = f"a:{new_token}"
    try:
        services.vote_cast(article=article, helpful=choice == "yes", voter_key=key,
                           ip=request.META.get("REMOTE_ADDR"))
    except VoteRateLimited:
        message = translation.gettext("You have sent too many votes in a short time, so this "
                                      "one was not recorded. Please try again later.")
        return _render_article(request, article, vote_error=message, status=429)
    response = HttpResponseRedirect(article_url(article) + "#vote")
    if new_token is not None:
        response.set_signed_cookie(
            VOTER_COOKIE, new_token, salt=VOTER_SALT,
            max_age=int(VOTER_MAX_AGE.total_seconds()), httponly=True, samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE)
    return response
