"""`xuala kb seed` loads the first articles; `xuala kb reindex` rebuilds the search index."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from xuala.kb import search, services
from xuala.kb.seed import seed_load


class Command(BaseCommand):
    help = "Knowledge base: `seed` loads the first articles (once); `reindex` rebuilds search."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["seed", "reindex"])

    def handle(self, *args, action: str, **options):
        if action == "seed":
            created = seed_load()
            self.stdout.write(f"Knowledge base: {created} article(s) created.")
        else:
            services.policy_articles_sync()
            count = search.reindex_all()
            self.stdout.write(f"Knowledge base: {count} article(s) indexed.")
