"""Full-text search structures, by database vendor (see xuala/kb/search.py).

SQLite: the FTS5 table kb_article_fts (rowid = article id), accent-insensitive.

PostgreSQL: the unaccent extension (a trusted extension: the database owner may create it),
the text search configurations xuala_spanish and xuala_english (copies of spanish and english
that remove accents before stemming), and one partial GIN expression index per language over
exactly the vector xuala.kb.search._pg_document() builds, so that searches use it.
"""

from django.db import migrations
from django.db.models import Q

FTS_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS kb_article_fts USING fts5("
    "title, summary, body, tokenize = 'unicode61 remove_diacritics 2')"
)
FTS_DROP = "DROP TABLE IF EXISTS kb_article_fts"

PG_CONFIGS = {"es": ("xuala_spanish", "spanish"), "en": ("xuala_english", "english")}


def _pg_config_sql(name: str, base: str) -> str:
    return f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{name}') THEN
    CREATE TEXT SEARCH CONFIGURATION {name} (COPY = pg_catalog.{base});
    ALTER TEXT SEARCH CONFIGURATION {name}
      ALTER MAPPING FOR hword, hword_part, word WITH unaccent, {base}_stem;
  END IF;
END
$$;
"""


def _pg_indexes(Article):
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector

    indexes = []
    for language, (config, _base) in PG_CONFIGS.items():
        document = (SearchVector("title", config=config, weight="A")
                    + SearchVector("summary", config=config, weight="B")
                    + SearchVector("search_text", config=config, weight="C"))
        indexes.append(GinIndex(document, name=f"kb_article_search_{language}",
                                condition=Q(language=language)))
    return indexes


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(FTS_CREATE)
    elif vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        for config, base in PG_CONFIGS.values():
            schema_editor.execute(_pg_config_sql(config, base))
        Article = apps.get_model("kb", "Article")
        for index in _pg_indexes(Article):
            schema_editor.add_index(Article, index)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(FTS_DROP)
    elif vendor == "postgresql":
        Article = apps.get_model("kb", "Article")
        for index in _pg_indexes(Article):
            schema_editor.remove_index(Article, index)
        for config, _base in PG_CONFIGS.values():
            schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {config}")


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
