"""Template helpers of the knowledge base."""

from __future__ import annotations

from django import template
from django.utils import translation
from django.utils.html import format_html

from xuala.kb.models import Article, Category

register = template.Library()


@register.simple_tag
def article_url(article: Article) -> str:
    from xuala.kb.views import article_url as url_of

    return url_of(article)


@register.simple_tag
def category_name(category: Category) -> str:
    return category.name_in(translation.get_language() or "es")


@register.simple_tag
def tally_cell(row, language: str) -> str:
    """"3 / 1" for the votes of ``row``'s ``language`` version, or a dash without one."""
    if language not in row.articles:
        return "—"
    tally = row.by_language[language]
    return format_html("{} / {}", tally.yes, tally.no)
