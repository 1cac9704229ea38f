"""`xuala antispam`: train the global model, and create or revoke a plan site's key.

    xuala antispam train [--corpus FILE] [--out FILE]
    xuala antispam key create --site URL     # prints the key alone on its line
    xuala antispam key revoke PREFIX
    xuala antispam blocklist export --format nginx|apache|nft [--site URL] [--out FILE]
    xuala antispam blocklist publish   # queue the node job of each server whose list changed
    xuala antispam sweep [--loop]      # expired blocks out (and lists republished), journals in

Exit status 2 with one line on stderr for a site that is not known, a site without an
active plan or an unknown key prefix.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xuala.antispam import selectors, services
from xuala.antispam.blocklist import FORMATS, render
from xuala.antispam.filter import MODEL_PATH
from xuala.antispam.models import AntispamKey
from xuala.antispam.training import CORPUS_PATH, build_global_model
from xuala.core.engine import run_forever
from xuala.customers.selectors import customer_coverage


class Command(BaseCommand):
    help = ("Anti-spam: train the global model (`train`); create or revoke site keys (`key`); "
            "export the blocked addresses (`blocklist export`) or send them to the servers' "
            "nodes (`blocklist publish`); delete expired blocks (`sweep`).")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="train the global model from the labelled corpus")
        train.add_argument("--corpus", type=Path, default=CORPUS_PATH)
        train.add_argument("--out", type=Path, default=MODEL_PATH)
        key = sub.add_parser("key", help="a plan site's Akismet-protocol key")
        key_sub = key.add_subparsers(dest="key_action", required=True)
        create = key_sub.add_parser("create", help="create a key and print it alone on its line")
        create.add_argument("--site", required=True, help="the site's URL (or its host)")
        revoke = key_sub.add_parser("revoke", help="revoke a key by its prefix")
        revoke.add_argument("prefix")
        blocklist = sub.add_parser("blocklist", help="the blocked addresses for the servers")
        block_sub = blocklist.add_subparsers(dest="block_action", required=True)
        export = block_sub.add_parser("export", help="write an nginx, Apache or nftables include")
        export.add_argument("--format", required=True, choices=FORMATS)
        export.add_argument("--site", help="only this site's blocks (and the global ones)")
        export.add_argument("--out", type=Path, help="write here (atomically) instead of stdout")
        block_sub.add_parser("publish", help="queue a node job for each server whose list changed")
        sweep = sub.add_parser("sweep", help="delete expired blocks, store orphaned verdicts")
        sweep.add_argument("--loop", action="store_true", help="go on every minute until stopped")

    def handle(self, *args, action: str, **options):
        if action == "train":
            model = build_global_model(corpus=options["corpus"], out=options["out"])
            size = options["out"].stat().st_size
            self.stdout.write(f"trained on {model.meta['items']} items; "
                              f"{options['out']} ({size // 1024} KiB)")
        elif action == "blocklist" and options["block_action"] == "publish":
            jobs = services.antispam_blocklist_publish()
            self.stdout.write(f"{len(jobs)} block-list jobs queued")
        elif action == "blocklist":
            self.blocklist_export(options)
        elif action == "sweep" and options["loop"]:
            run_forever("antispam", lambda: services.antispam_sweep(), idle=services.SWEEP_SECONDS)
        elif action == "sweep":
            self.stdout.write(f"{services.antispam_sweep()} rows swept")
        elif options["key_action"] == "create":
            self.key_create(options["site"])
        else:
            key = AntispamKey.objects.select_related("site").filter(
                prefix=options["prefix"].strip().rstrip("…")).first()
            if key is None:
                raise CommandError(f"no anti-spam key with prefix {options['prefix']!r}",
                                   returncode=2)
            services.antispam_key_revoke(key=key)
            self.stdout.write(f"revoked {key.prefix}… of {key.site.url}")

    def blocklist_export(self, options) -> None:
        site = None
        if options.get("site"):
            url = options["site"]
            try:
                site = services.site_for_url(url if "//" in url else f"https://{url}")
            except services.SiteNotFound:
                raise CommandError(f"no site with the URL {url!r}", returncode=2) from None
        now = timezone.now()
        text = render(options["format"], selectors.blocked_addresses(now=now, site=site), now=now)
        out = options.get("out")
        if out is None:
            self.stdout.write(text, ending="")
            return
        partial = out.with_name(out.name + ".partial")
        partial.write_text(text)
        partial.replace(out)  # the server never reads a half-written file

    def key_create(self, url: str) -> None:
        try:
            site = services.site_for_url(url if "//" in url else f"https://{url}")
        except services.SiteNotFound:
            raise CommandError(f"no site with the URL {url!r}", returncode=2) from None
        if not customer_coverage(customer=site.customer, on=timezone.now()).covers_site(site.pk):
            raise CommandError(f"{site.url} has no active coverage plan: anti-spam is a plan "
                               "service", returncode=2)
        issued = services.antispam_key_create(site=site)
        self.stdout.write(issued.secret)
