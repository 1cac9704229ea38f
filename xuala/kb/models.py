"""Knowledge-base categories, articles in Spanish and English, and helpful / not-helpful votes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xuala.core.models import choices
from xuala.kb.policy_article import SLUG as POLICY_SLUG

# Paths under /kb/ that are pages, not articles.
RESERVED_SLUGS = frozenset({"search", "suggest"})


Language = choices("Language", es="Español", en="English")


class Category(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name, verbose_name_plural = _("category"), _("categories")

    def __str__(self) -> str:
        return self.name_es

    def name_in(self, language: str) -> str:
        return self.name_en if language == Language.EN else self.name_es


class Article(models.Model):
    """One article in one language; its other-language version is linked by ``translation_of``
    (the English version points at the Spanish one, or the other way round, never both).

    ``search_text`` is the plain text that full-text search indexes: the body's Markdown
    rendered and stripped of tags or, for the policy article (``is_policy``), the text that
    ``xuala.kb.policy_article`` renders from the live policy, whose sha256 is kept in
    ``policy_sha256`` so that a changed policy file is re-indexed. The policy article's
    ``body`` stays empty.
    """

    language = models.CharField(_("language"), max_length=2, choices=Language.choices,
                                default=Language.ES)
    slug = models.SlugField(_("slug"), max_length=120)
    translation_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="translations",
                                       verbose_name=_("translation of"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="articles", verbose_name=_("category"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=400, blank=True)
    body = models.TextField(_("body (Markdown)"), blank=True)
    published = models.BooleanField(_("published"), default=False)
    is_policy = models.BooleanField(_("policy article"), default=False, editable=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    search_text = models.TextField(blank=True, editable=False)
    policy_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["position", "title"]
        verbose_name, verbose_name_plural = _("article"), _("articles")
        constraints = [
            models.UniqueConstraint(fields=["language", "slug"], name="kb_article_slug_per_lang"),
            models.UniqueConstraint(fields=["language"], condition=Q(is_policy=True),
                                    name="kb_one_policy_article_per_lang"),
        ]
        indexes = [models.Index(fields=["language", "published"], name="kb_article_lang_pub")]

    def __str__(self) -> str:
        return f"{self.title} [{self.language}]"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.slug in RESERVED_SLUGS:
            errors["slug"] = _("This address is used by a page of the knowledge base.")
        elif self.slug == POLICY_SLUG and not self.is_policy:
            errors["slug"] = _("This address belongs to the support policy article.")
        target = self.translation_of
        if target is not None:
            if self.pk is not None and target.pk == self.pk:
                errors["translation_of"] = _("An article cannot be its own translation.")
            elif target.language == self.language:
                errors["translation_of"] = _("A translation must be in the other language.")
        if errors:
            raise ValidationError(errors)


class Vote(models.Model):
    """A visitor's answer to "Was this article helpful?". One row per (article, voter): a
    second answer from the same visitor changes ``helpful``. ``voter_key`` is ``u:<user id>``
    for a signed-in user, else ``a:<random id>`` kept in a signed cookie. ``ip_hash`` is a keyed
    hash of the address (never the address itself), used to rate-limit."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    helpful = models.BooleanField(_("helpful"))
    voter_key = models.CharField(_("voter"), max_length=64)
    ip_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name, verbose_name_plural = _("vote"), _("votes")
        constraints = [
            models.UniqueConstraint(fields=["article", "voter_key"], name="kb_one_vote_per_voter"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {'+' if self.helpful else '-'} {self.voter_key}"
