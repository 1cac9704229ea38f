"""`xuala import customers FILE.csv`: load customers with a row-by-row error report."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xuala.customers.services import IMPORT_COLUMNS, customers_import


class Command(BaseCommand):
    help = "Import data from a file; nothing is written when any row has a problem."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        customers = sub.add_parser(
            "customers", help="customers, contacts, services, sites and contracts from CSV "
            f"(columns: {', '.join(IMPORT_COLUMNS)})")
        customers.add_argument("file")

    def handle(self, *args, what: str, file: str, **options):
        try:
            text = Path(file).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        report = customers_import(text=text)
        if not report.ok:
            for line, message in report.errors:
                self.stderr.write(f"{file}:{line}: {message}")
            raise CommandError(f"{len(report.errors)} problem(s) in {report.rows} row(s); "
                               "nothing was imported")
        made = ", ".join(f"{n} {kind}" for kind, n in report.created.items())
        self.stdout.write(f"Imported {report.rows} row(s): {made}.")
