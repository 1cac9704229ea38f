"""State changes of the knowledge base: saving articles together with their search index,
keeping the policy article in step with the live policy, and helpful / not-helpful votes."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from xuala.kb import search
from xuala.kb.errors import KbError, VoteRateLimited
from xuala.kb.markup import clean_text, markdown_to_text
from xuala.kb.models import Article, Language, Vote
from xuala.kb.policy_article import SLUG as POLICY_SLUG
from xuala.kb.policy_article import build_article
from xuala.policy.loader import LoadedPolicy
from xuala.policy.selectors import policy_active

VOTE_WINDOW = timedelta(hours=1)


def votes_per_hour() -> int:
    """How many votes one network address may cast in an hour (XUALA_KB_VOTES_PER_HOUR)."""
    return settings.XUALA_KB_VOTES_PER_HOUR


# ---------------------------------------------------------------------------- articles

def article_validate(article: Article) -> None:
    """Raise ValidationError unless ``article`` can be saved as it is (Article.clean holds
    the rules, so the admin's form shows them too)."""
    article.full_clean()


@transaction.atomic
def article_save(*, article: Article) -> Article:
    """Validate and save ``article`` (new or changed) and update the search index with it."""
    article_validate(article)
    if not article.is_policy:
        article.search_text = markdown_to_text(article.body)
    now = timezone.now()
    if article.pk is None:
        article.created_at = now
    article.updated_at = now
    article.save()
    search.index_article(article)
    return article


@transaction.atomic
def article_delete(*, article: Article) -> None:
    """Delete ``article`` (its votes go with it). The policy article cannot be deleted."""
    if article.is_policy:
        raise KbError("the policy article follows the policy file and cannot be deleted",
                      code="policy")
    pk = article.pk
    article.delete()
    search.unindex_article(pk)


# ------------------------------------------------------------------------ policy article

def _policy_text(loaded: LoadedPolicy) -> str:
    lines: list[str] = []
    for section in build_article(loaded):
        lines.append(f"{section.number} {section.title}".strip())
        lines.extend(section.paragraphs)
        lines.extend(section.items)
        lines.extend(f"{_('State:')} {state}" for state in section.states)
        lines.extend(f"{_('Clarification:')} {note}" for note in section.notes)
    return clean_text("\n".join(lines))


def policy_articles_sync(loaded: LoadedPolicy | None = None) -> dict[str, Article]:
    """The policy article in each language, created on first use and re-indexed whenever the
    policy file changes (its sha256), so that votes attach to one row while its text and its
    search entry follow the policy. Costs one small query when nothing changed."""
    loaded = loaded or policy_active()
    rows = {a.language: a for a in Article.objects.filter(is_policy=True)}
    if all(lang in rows and rows[lang].policy_sha256 == loaded.sha256 for lang in Language):
        return rows
    try:
        with transaction.atomic():
            return _policy_articles_write(loaded)
    except IntegrityError:  # another process created them at the same moment
        return {a.language: a for a in Article.objects.filter(is_policy=True)}


def _policy_articles_write(loaded: LoadedPolicy) -> dict[str, Article]:
    rows: dict[str, Article] = {}
    for lang in (Language.ES, Language.EN):
        with translation.override(lang):
            title = loaded.policy.policy.name.get(lang)
            summary = _("What our technical support covers, when we answer and how to ask "
                        "for help.")
            text = _policy_text(loaded)
        article = Article.objects.filter(is_policy=True, language=lang).first()
        if article is None:
            article = Article(is_policy=True, language=lang, slug=POLICY_SLUG, published=True,
                              created_at=timezone.now())
        article.title, article.summary, article.search_text = title, summary, text
        article.policy_sha256 = loaded.sha256
        if lang == Language.EN:
            article.translation_of = rows[Language.ES]
        article.updated_at = timezone.now()
        article.save()
        search.index_article(article)
        rows[lang] = article
    return rows


# --------------------------------------------------------------------------------- votes

def ip_hash(ip: str | None) -> str:
    """A keyed hash of a network address: enough to count votes, useless to learn it."""
    return salted_hmac("xuala.kb.vote-ip", ip or "unknown").hexdigest()[:40]


@transaction.atomic
def vote_cast(*, article: Article, helpful: bool, voter_key: str, ip: str | None,
              now: datetime | None = None) -> Vote:
    """Record ``voter_key``'s answer for ``article``: the first answer adds a vote, a later
    one changes it. Raises VoteRateLimited (storing nothing) once the address has cast
    `votes_per_hour()` votes in the last hour."""
    if not voter_key:
        raise KbError("a vote needs a voter", code="voter")
    now = now or timezone.now()
    hashed = ip_hash(ip)
    recent = Vote.objects.filter(ip_hash=hashed, updated_at__gt=now - VOTE_WINDOW).count()
    if recent >= votes_per_hour():
        raise VoteRateLimited("too many votes from this address in the last hour",
                              code="rate_limited")
    vote, _created = Vote.objects.update_or_create(
        article=article, voter_key=voter_key,
        defaults={"helpful": helpful, "ip_hash": hashed, "updated_at": now},
        create_defaults={"helpful": helpful, "ip_hash": hashed, "updated_at": now,
                         "created_at": now},
    )
    return vote
