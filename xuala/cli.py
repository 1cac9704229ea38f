"""The `xuala` command: Django's management commands with Xuala Desk's settings."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xuala.settings")
    from xuala.core.supervisor import arm_from_environment

    arm_from_environment()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["xuala", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
