"""`xuala antispam train`: rebuild the shipped global model from the project's corpus."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from xuala.antispam.filter import MODEL_PATH
from xuala.antispam.training import CORPUS_PATH, build_global_model


class Command(BaseCommand):
    help = "Anti-spam: train the global model (`train`)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="train the global model from the labelled corpus")
        train.add_argument("--corpus", type=Path, default=CORPUS_PATH)
        train.add_argument("--out", type=Path, default=MODEL_PATH)

    def handle(self, *args, action: str, **options):
        if action == "train":
            model = build_global_model(corpus=options["corpus"], out=options["out"])
            size = options["out"].stat().st_size
            self.stdout.write(f"trained on {model.meta['items']} items; "
                              f"{options['out']} ({size // 1024} KiB)")
