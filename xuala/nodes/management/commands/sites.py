"""`xuala sites attach URL --root PATH [--server NAME]`: where a site's files are."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Sites: attach a site to its document root and hosting server."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        attach = sub.add_parser("attach", help="record a site's document root (and server)")
        attach.add_argument("url")
        attach.add_argument("--root", required=True)
        attach.add_argument("--server", default=None)

    def handle(self, *args, action: str, url: str, root: str, server: str | None, **options):
        from xuala.customers.models import HostingServer, Site
        from xuala.nodes.errors import AttachRefused
        from xuala.nodes.services import site_attach

        sites = list(Site.objects.filter(url=url)[:2])
        if not sites:
            sites = [s for s in Site.objects.filter(url__startswith=url.rstrip("/"))
                     if s.url.rstrip("/") == url.rstrip("/")][:2]
        if len(sites) != 1:
            raise CommandError(f"{'no' if not sites else 'more than one'} site with URL {url}")
        host = None
        if server:
            host = HostingServer.objects.filter(name=server).first()
            if host is None:
                raise CommandError(f"no hosting server named {server!r}")
        try:
            attached = site_attach(site=sites[0], root=root, server=host)
        except AttachRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{sites[0].url}: {attached.path} on {sites[0].server}")
