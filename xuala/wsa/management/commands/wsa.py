"""`xuala wsa ...`: the Website Security Audit's scanner and its stores.

    xuala wsa scan PATH [--json] [--db-from-wp-config] [--full]
    xuala wsa checksums import ARCHIVE_OR_DIR [--no-pristine]
    xuala wsa pristine import VERSION [--from ZIP|DIR|URL] [--offline]
    xuala wsa vulns import FILE
    xuala wsa quarantine FILE [--reason TEXT] [--quarantine DIR]
    xuala wsa restore ID [--quarantine DIR]
    xuala wsa audit now SITE_URL              # queue an audit on the site's node (the desk)
    xuala wsa suspend SITE_URL --until ISO --reason TEXT   # at most services.wsa.max_suspension
    xuala wsa resume SITE_URL

`scan` exits 0 when nothing of severity high or critical is found, 1 when something is, and 2
on error (one line on stderr).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xuala.wsa import integrity, pristine, vulns
from xuala.wsa.scan import ScanError, scan_tree


class Command(BaseCommand):
    help = "Website Security Audit: scan a tree, import checksums and vulnerability feeds."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        scan = sub.add_parser("scan", help="scan a site's tree")
        scan.add_argument("path")
        scan.add_argument("--json", action="store_true", help="print one JSON object")
        scan.add_argument("--db-from-wp-config", action="store_true",
                          help="also inspect the database named in PATH/wp-config.php")
        scan.add_argument("--full", action="store_true",
                          help="read every file, even those the index says are unchanged")
        scan.add_argument("--index", metavar="FILE",
                          help="the site's index file (default: one per path in the WSA home)")
        scan.add_argument("--no-index", action="store_true", help="neither read nor write one")
        scan.add_argument("--rules", metavar="DIR", action="append", default=[],
                          help="another directory of .yar rules (also XUALA_WSA_RULES)")
        scan.add_argument("--admins", metavar="LOGIN,...",
                          help="the client's administrators; any other is reported")
        scan.add_argument("--offline", action="store_true",
                          help="do not fetch checksums from api.wordpress.org")

        imp = _importer(sub, "checksums", "the WordPress checksum store",
                        "from a release archive or pristine tree (its files are kept in the "
                        "pristine store too)")
        imp.add_argument("source")
        imp.add_argument("--no-pristine", action="store_true",
                         help="store the checksums only, not the pristine copies")
        imp = _importer(sub, "pristine", "the pristine copies core files are put back from",
                        "a release's files, each checked against the checksum store")
        imp.add_argument("version")
        imp.add_argument("--from", dest="source", metavar="ZIP|DIR|URL",
                         help="default: the official download (or XUALA_WSA_RELEASES_URL)")
        imp.add_argument("--offline", action="store_true",
                         help="fetch nothing: neither the release nor its checksums")
        _importer(sub, "vulns", "the vulnerability feed (OSV JSON)",
                  "merge an OSV file (.json or .zip)").add_argument("file")

        for name, about in (("quarantine", "move a file into the quarantine store"),
                            ("restore", "put a quarantined file back, byte for byte")):
            store = sub.add_parser(name, help=about)
            store.add_argument("file" if name == "quarantine" else "id")
            if name == "quarantine":
                store.add_argument("--reason", default="")
            store.add_argument("--quarantine", metavar="DIR",
                               help="the quarantine store (default: the WSA home's)")

        audit = sub.add_parser("audit", help="desk: audits of plan sites")
        audit_sub = audit.add_subparsers(dest="audit_action", required=True)
        now = audit_sub.add_parser("now", help="queue an audit of a site on its node now")
        now.add_argument("site_url")
        suspend = sub.add_parser("suspend", help="desk: suspend a site for cleaning (§6.3.3)")
        suspend.add_argument("site_url")
        suspend.add_argument("--until", required=True, help="ISO date-time (with zone) or date")
        suspend.add_argument("--reason", required=True)
        resume = sub.add_parser("resume", help="desk: lift a site's suspension now")
        resume.add_argument("site_url")

    def handle(self, *args, action: str, **options):
        if action in ("audit", "suspend", "resume"):
            from xuala.wsa.management.desk import desk_action

            return desk_action(self, action, options)
        try:
            if action == "scan":
                code = self.scan(options)
            elif action == "checksums":
                kept = []
                version, count = integrity.import_checksums(
                    options["source"], keep=None if options["no_pristine"] else
                    lambda *tree: kept.append(pristine.keep(*tree)))
                self.stdout.write(f"WordPress {version}: {count} checksums stored")
                for imported in kept:
                    self.stdout.write(f"{len(imported.stored)} files kept in the pristine store")
                code = 0
            elif action == "pristine":
                code = self.pristine(options)
            elif action == "vulns":
                total = vulns.import_feed(options["file"])
                self.stdout.write(f"{total} advisories in the feed")
                code = 0
            elif action == "quarantine":
                code = self.quarantine(options)
            else:
                code = self.restore(options)
        except (ScanError, ValueError, OSError) as error:
            raise CommandError(str(error), returncode=2) from error
        if code:
            sys.exit(code)

    def pristine(self, options) -> int:
        imported = pristine.pristine_import(options["version"], options["source"],
                                            network=not options["offline"])
        out = self.stdout
        out.write(f"WordPress {imported.version} from {imported.source}: "
                  f"{len(imported.stored)} files checked and stored in "
                  f"{pristine.store_dir(imported.version)}")
        for label, paths in (("differ from the release, not stored", imported.differ),
                             ("not in the source", imported.missing)):
            if paths:
                out.write(f"{len(paths)} {label}:")
                for rel in paths:
                    out.write(f"  {rel}")
        return 0 if imported.stored else 1

    def quarantine(self, options) -> int:
        from xuala.wsa import quarantine

        store = Path(options["quarantine"]) if options.get("quarantine") else None
        record = quarantine.quarantine_file(options["file"], store=store,
                                            reason=options["reason"])
        self.stdout.write(record["id"])
        return 0

    def restore(self, options) -> int:
        from xuala.wsa import quarantine

        store = Path(options["quarantine"]) if options.get("quarantine") else None
        record = quarantine.restore(options["id"], store=store)
        self.stdout.write(f"restored {record['path']}")
        return 0

    def scan(self, options) -> int:
        index: Path | bool = True
        if options["no_index"]:
            index = False
        elif options["index"]:
            index = Path(options["index"])
        interactive = not options["json"] and sys.stderr.isatty()
        admins = options["admins"].split(",") if options["admins"] else None
        report = scan_tree(options["path"], full=options["full"], index=index,
                           rule_dirs=[Path(d) for d in options["rules"]],
                           database=options["db_from_wp_config"], known_admins=admins,
                           network=not options["offline"],
                           progress=self._bar if interactive else None)
        if interactive:
            sys.stderr.write("\n")
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self._print(report)
        return report.exit_code

    def _bar(self, done: int, total: int, read: int) -> None:
        width = 40
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files, "
                         f"{read / 1e6:.1f} MB")
        sys.stderr.flush()

    def _print(self, report) -> None:
        body = report.as_dict()
        out = self.stdout
        out.write(f"{body['files']} files, {body['bytes'] / 1e6:.1f} MB read in "
                  f"{body['seconds']:.2f} s ({'full' if report.full else 'incremental'} scan)")
        if not body["findings"]:
            out.write("No findings.")
        for item in body["findings"]:
            out.write(f"{item['severity'].upper():8} {item['kind']:13} {item['path']}"
                      f"{':' + str(item['offset']) if item['offset'] else ''}  [{item['rule']}]")
            out.write(f"         {item['evidence']}")
        if body["skipped"]:
            out.write(f"Skipped {len(body['skipped'])}:")
            for item in body["skipped"]:
                out.write(f"  {item['path']}: {item['reason']}")
        serious = sum(1 for f in body["findings"] if f["severity"] in ("critical", "high"))
        out.write(f"{serious} finding(s) of severity high or critical.")


def _importer(sub, name: str, about: str, what: str):
    """``xuala wsa NAME import ...``: a store filled by its one action, import."""
    store = sub.add_parser(name, help=about)
    actions = store.add_subparsers(dest=f"{name}_action", required=True)
    return actions.add_parser("import", help=what)
