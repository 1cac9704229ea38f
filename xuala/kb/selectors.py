"""Reads of the knowledge base: what readers may see, an article's translation, a visitor's
vote, and the vote tallies that only agents see."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from xuala.kb.models import Article, Category, Language, Vote


def other_language(language: str) -> str:
    return Language.EN if language == Language.ES else Language.ES


def articles_readable(*, language: str, user=None) -> QuerySet[Article]:
    """Articles in ``language`` that ``user`` may read: published ones, and drafts for agents."""
    qs = Article.objects.filter(language=language)
    if not getattr(user, "is_agent", False):
        qs = qs.filter(published=True)
    return qs


def article_for_reader(*, language: str, slug: str, user=None) -> Article:
    return get_object_or_404(articles_readable(language=language, user=user)
                             .select_related("category"), slug=slug)


def article_translation(*, article: Article, user=None) -> Article | None:
    """The version of ``article`` in the other language that ``user`` may read, if any."""
    other = other_language(article.language)
    readable = articles_readable(language=other, user=user)
    if article.translation_of_id is not None:
        found = readable.filter(pk=article.translation_of_id).first()
        if found is not None:
            return found
    return readable.filter(translation_of=article).order_by("pk").first()


def translation_for_slug(*, language: str, slug: str, user=None) -> Article | None:
    """For an address in the wrong language (the language switch keeps the slug): the
    ``language`` version of the article that has ``slug`` in the other language."""
    source = articles_readable(language=other_language(language), user=user) \
        .filter(slug=slug).first()
    if source is None:
        return None
    found = article_translation(article=source, user=user)
    return found if found is not None and found.language == language else None


@dataclass
class CategoryGroup:
    category: Category | None
    name: str
    articles: list[Article] = field(default_factory=list)


def kb_index(*, language: str, user=None) -> list[CategoryGroup]:
    """Readable articles in ``language`` (the policy article apart) grouped by category in the
    categories' order; uncategorised articles last."""
    articles = (articles_readable(language=language, user=user).filter(is_policy=False)
                .select_related("category")
                .order_by("category__position", "category__slug", "position", "title"))
    groups: dict[int | None, CategoryGroup] = {}
    for article in articles:
        key = article.category_id
        if key not in groups:
            groups[key] = CategoryGroup(
                category=article.category,
                name=article.category.name_in(language) if article.category else "")
        groups[key].articles.append(article)
    ordered = [g for k, g in groups.items() if k is not None]
    if None in groups:
        ordered.append(groups[None])
    return ordered


def policy_article(*, language: str) -> Article | None:
    return Article.objects.filter(is_policy=True, language=language).first()


def vote_of(*, article: Article, voter_key: str | None) -> Vote | None:
    if not voter_key:
        return None
    return Vote.objects.filter(article=article, voter_key=voter_key).first()


# ------------------------------------------------------------------------------- tallies

@dataclass
class Tally:
    yes: int = 0
    no: int = 0

    @property
    def total(self) -> int:
        return self.yes + self.no

    @property
    def ratio(self) -> int | None:
        """Share of "yes" answers, in whole percent; None without votes."""
        return round(100 * self.yes / self.total) if self.total else None

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.yes + other.yes, self.no + other.no)


@dataclass
class ArticleTallies:
    """An article and its translation (the Spanish version first when there is one), with the
    votes of each language and together."""

    articles: dict[str, Article]
    by_language: dict[str, Tally]

    @property
    def main(self) -> Article:
        return self.articles.get(Language.ES) or self.articles[Language.EN]

    @property
    def total(self) -> Tally:
        return sum(self.by_language.values(), Tally())


def _tally_annotations() -> dict:
    return {"yes_votes": Count("votes", filter=Q(votes__helpful=True)),
            "no_votes": Count("votes", filter=Q(votes__helpful=False))}


def articles_with_tallies() -> QuerySet[Article]:
    """Every article annotated with ``yes_votes`` and ``no_votes``."""
    return Article.objects.annotate(**_tally_annotations())


def tallies_by_article() -> list[ArticleTallies]:
    """One row per article and its translation, in the knowledge base's order."""
    articles = list(articles_with_tallies().select_related("category")
                    .order_by("-is_policy", "category__position", "category__slug", "position",
                              "-language", "title", "pk"))  # "es" before "en"
    by_pk = {a.pk: a for a in articles}
    rows: list[ArticleTallies] = []
    placed: dict[int, ArticleTallies] = {}
    for article in articles:
        if article.pk in placed:
            continue
        partner = by_pk.get(article.translation_of_id) if article.translation_of_id else None
        if partner is None:
            partner = next((a for a in articles if a.translation_of_id == article.pk
                            and a.language != article.language and a.pk not in placed), None)
        if partner is not None and (partner.pk in placed or partner.language == article.language):
            partner = None
        found = {article.language: article}
        if partner is not None:
            found[partner.language] = partner
        members = {lang.value: found[lang] for lang in Language if lang in found}
        row = ArticleTallies(
            articles=members,
            by_language={lang: Tally(a.yes_votes, a.no_votes) for lang, a in members.items()})
        rows.append(row)
        for member in members.values():
            placed[member.pk] = row
    return rows


def tallies_by_language() -> dict[str, Tally]:
    counts = (Vote.objects.values("article__language")
              .annotate(yes=Count("pk", filter=Q(helpful=True)),
                        no=Count("pk", filter=Q(helpful=False))))
    result = {lang.value: Tally() for lang in Language}
    for row in counts:
        result[row["article__language"]] = Tally(row["yes"], row["no"])
    return result
