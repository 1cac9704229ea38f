"""Full-text search of knowledge-base articles: SQLite FTS5 or PostgreSQL full text search.

The same entry point, `search()`, serves both vendors and both uses:

- the search page asks for every term (``match="all"``);
- suggestions while a client types a request ask for any term (``match="any"``), without
  stop words, so that "no me llega el correo" still finds the mail articles.

The last term is a prefix (``certif`` finds "certificado") unless the caller says otherwise.
Both engines ignore accents: FTS5 through ``unicode61 remove_diacritics 2``; PostgreSQL through
the ``xuala_spanish`` / ``xuala_english`` text search configurations (copies of ``spanish`` /
``english`` whose word mappings run ``unaccent`` before the stemmer), created by migration
0002. Results are ranked (FTS5's bm25 and PostgreSQL's ts_rank, the title weighing most, then
the summary, then the body) and carry a snippet with the matches marked.

Index maintenance:

- SQLite keeps a separate FTS5 table, ``kb_article_fts`` (rowid = article id; columns title,
  summary, body = ``Article.search_text``). `index_article()` replaces an article's row; the
  services call it in the same transaction as the save, and `reindex_all()` rebuilds the table.
- PostgreSQL needs no copy: two partial GIN expression indexes (one per language) cover the
  vector that `_pg_document()` builds, so a saved row is searchable at once. The expression
  in migration 0002 must stay identical to `_pg_document()` (a test checks the plan uses it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from django.db import connection
from django.db.models import TextField, Value
from django.db.models.functions import Concat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from xuala.kb.markup import MARK_CLOSE, MARK_OPEN, clean_text
from xuala.kb.models import Article

PG_CONFIGS = {"es": "xuala_spanish", "en": "xuala_english"}
MAX_TERMS = 12
MIN_PREFIX = 2
SNIPPET_WORDS = 24

_TERM = re.compile(r"[^\W_]+")

_STOP_WORDS_TEXT = """
a al algo algun alguna algunas alguno algunos ante antes como con contra cual cuando de del
desde donde durante e el ella ellas ellos en entre era es esa esas ese eso esos esta estas este
esto estos ha han hay la las le les lo los mas me mi mis mucho muy nada ni no nos o os otra otro
para pero poco por porque que quien se sea ser si sin sobre su sus tambien te tengo ti tu tus un
una uno unos y ya yo puedo quiero hola gracias
an and are as at be been but by can do does for from has have how i if in into is it its me my
not of on or our so than that the their them then there these they this to was we were what
when where which who why will with would you your please hello thanks
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

Match = Literal["all", "any"]


@dataclass(frozen=True)
class Hit:
    article: Article
    snippet: SafeString
    rank: float


def terms(query: str, *, drop_stop_words: bool = False) -> list[str]:
    """The words of ``query``, lower-cased, at most `MAX_TERMS`, in order, without repeats.
    Accents are kept: both engines fold them themselves."""
    seen: list[str] = []
    for word in _TERM.findall((query or "").lower()):
        if drop_stop_words and _fold(word) in STOP_WORDS:
            continue
        if word not in seen:
            seen.append(word)
    return seen[:MAX_TERMS]


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word)
                   if unicodedata.category(c) != "Mn")


def search(query: str, *, language: str, match: Match = "all", prefix: bool = True,
           limit: int = 20, min_share: float = 0.0) -> list[Hit]:
    """Published articles in ``language`` matching ``query``, best first. With ``min_share``,
    hits ranked below that share of the best hit's rank are left out (suggestions use it so
    that an article sharing one common word with a long description is not offered)."""
    words = terms(query, drop_stop_words=(match == "any"))
    if not words or limit <= 0:
        return []
    if connection.vendor == "postgresql":
        hits = _search_postgresql(words, language=language, match=match, prefix=prefix,
                                  limit=limit)
    else:
        hits = _search_sqlite(words, language=language, match=match, prefix=prefix, limit=limit)
    if hits and min_share > 0:
        floor = hits[0].rank * min_share
        hits = [hit for hit in hits if hit.rank >= floor]
    return hits


def highlight(text: str) -> SafeString:
    """Escape ``text`` and turn the engine's match markers into <mark> elements."""
    text = text or ""
    if text.count(MARK_OPEN) != text.count(MARK_CLOSE):  # never leave an element open
        text = text.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    escaped = str(escape(text)).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
    return mark_safe(escaped)  # noqa: S308 - escaped above; only our own <mark> is added


# ---------------------------------------------------------------------------- SQLite FTS5

def _fts_query(words: list[str], *, match: Match, prefix: bool) -> str:
    parts = [f'"{word}"' for word in words]
    if prefix and len(words[-1]) >= MIN_PREFIX:
        parts[-1] += "*"
    return (" OR " if match == "any" else " ").join(parts)


def _search_sqlite(words: list[str], *, language: str, match: Match, prefix: bool,
                   limit: int) -> list[Hit]:
    sql = (
        "SELECT f.rowid, bm25(kb_article_fts, 10.0, 4.0, 1.0) AS score, "
        "snippet(kb_article_fts, -1, %s, %s, '…', %s) "
        "FROM kb_article_fts AS f JOIN kb_article AS a ON a.id = f.rowid "
        "WHERE kb_article_fts MATCH %s AND a.language = %s AND a.published "
        "ORDER BY score, a.position, a.title LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [MARK_OPEN, MARK_CLOSE, SNIPPET_WORDS,
                             _fts_query(words, match=match, prefix=prefix), language, limit])
        rows = cursor.fetchall()
    articles = Article.objects.select_related("category").in_bulk([row[0] for row in rows])
    return [Hit(article=articles[pk], snippet=highlight(snippet), rank=-score)
            for pk, score, snippet in rows if pk in articles]


def index_article(article: Article) -> None:
    """Make the search index match ``article`` as saved (SQLite; PostgreSQL indexes itself)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM kb_article_fts WHERE rowid = %s", [article.pk])
        cursor.execute(
            "INSERT INTO kb_article_fts (rowid, title, summary, body) VALUES (%s, %s, %s, %s)",
            [article.pk, clean_text(article.title), clean_text(article.summary),
             article.search_text])


def unindex_article(article_id: int) -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM kb_article_fts WHERE rowid = %s", [article_id])


def reindex_all() -> int:
    """Rebuild the index from every article; returns how many were indexed."""
    articles = list(Article.objects.all())
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM kb_article_fts")
        for article in articles:
            index_article(article)
    return len(articles)


# ------------------------------------------------------------------------------ PostgreSQL

def _pg_document(config: str):
    from django.contrib.postgres.search import SearchVector

    return (SearchVector("title", config=config, weight="A")
            + SearchVector("summary", config=config, weight="B")
            + SearchVector("search_text", config=config, weight="C"))


def _tsquery(words: list[str], *, match: Match, prefix: bool) -> str:
    parts = list(words)
    if prefix and len(words[-1]) >= MIN_PREFIX:
        parts[-1] += ":*"
    return (" | " if match == "any" else " & ").join(parts)


def pg_queryset(words: list[str], *, language: str, match: Match = "all", prefix: bool = True):
    """The PostgreSQL query (exposed for the test that checks the GIN index serves it)."""
    from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank

    config = PG_CONFIGS.get(language, PG_CONFIGS["es"])
    document = _pg_document(config)
    query = SearchQuery(_tsquery(words, match=match, prefix=prefix), config=config,
                        search_type="raw")
    return (
        Article.objects.filter(language=language, published=True)
        .annotate(document=document).filter(document=query)
        .annotate(
            rank=SearchRank(document, query),
            # Like FTS5's snippet(), which picks the best column, the title included.
            headline=SearchHeadline(Concat("title", Value(" · "), "summary", Value(" · "),
                                           "search_text", output_field=TextField()),
                                    query, config=config, start_sel=MARK_OPEN,
                                    stop_sel=MARK_CLOSE, max_words=SNIPPET_WORDS + 6,
                                    min_words=SNIPPET_WORDS // 2, max_fragments=2,
                                    fragment_delimiter=" … "),
        )
        .select_related("category")
        .order_by("-rank", "position", "title")
    )


def _search_postgresql(words: list[str], *, language: str, match: Match, prefix: bool,
                       limit: int) -> list[Hit]:
    rows = pg_queryset(words, language=language, match=match, prefix=prefix)[:limit]
    return [Hit(article=row, snippet=highlight(row.headline), rank=row.rank) for row in rows]
