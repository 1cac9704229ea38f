"""`xuala policy check [FILE]` and `xuala policy show`."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from xuala.policy.loader import PolicyError, load_policy
from xuala.policy.schema import WEEKDAYS, format_duration
from xuala.policy.selectors import policy_active


class Command(BaseCommand):
    help = "Validate a support policy file, or print the active policy."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="validate a policy file and print a summary")
        check.add_argument("file", nargs="?", help="policy file (default: the active policy)")
        sub.add_parser("show", help="print the active policy as JSON")

    def handle(self, *args, action: str, **options):
        if action == "show":
            loaded = policy_active()
            self.stdout.write(json.dumps(loaded.policy.model_dump(mode="json"), indent=2,
                                         ensure_ascii=False))
            return
        try:
            loaded = load_policy(options["file"]) if options.get("file") else policy_active()
        except PolicyError as exc:
            for problem in exc.problems:
                self.stderr.write(f"{exc.source_name}: {problem}")
            raise CommandError(f"{len(exc.problems)} problem(s) in {exc.source_name}") from None
        self.stdout.write(summary(loaded))


def summary(loaded) -> str:
    p = loaded.policy
    hours = ", ".join(
        f"{day[:3]} " + " ".join(f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}"
                                 for a, b in slots)
        for day, slots in zip(WEEKDAYS, p.hours.weekly().values(), strict=True)
        if slots
    )
    targets = "; ".join(
        f"{name} {format_duration(t.target)}/{format_duration(t.due)} ({t.clock})"
        for name, t in (("standard", p.targets.standard), ("priority", p.targets.priority),
                        ("emergency", p.targets.emergency))
    )
    holidays = p.holidays.country or "none"
    if p.holidays.subdivision:
        holidays += f"-{p.holidays.subdivision}"
    lines = [
        f"OK {loaded.name} (sha256 {loaded.sha256[:12]})",
        f"  time zone   {p.timezone}",
        f"  hours       {hours}",
        f"  holidays    {holidays} (+{len(p.holidays.extra)} extra, -{len(p.holidays.removed)})",
        f"  targets     {targets}",
        f"  channels    {', '.join(p.channels.accepted)}; support address "
        f"{p.channels.support_address}",
        f"  scope       {len(p.scope)} rules",
        f"  plans       {', '.join(plan.key for plan in p.plans)}",
        f"  uptime      {p.uptime.commitment} % over {p.uptime.period_days} days "
        f"({p.uptime.allowed_downtime.total_seconds() / 60:.1f} min allowed)",
    ]
    return "\n".join(lines)
