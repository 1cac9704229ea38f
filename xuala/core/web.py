"""`python -m xuala.core.web GRANIAN-ARGS`: granian, with its worker processes tied to it.

The supervisor starts the web server through this module so that granian's forked
workers die with their master when the master is killed (see
``xuala.core.supervisor.arm_from_environment``).
"""

from __future__ import annotations

from xuala.core.supervisor import arm_from_environment

if __name__ == "__main__":
    arm_from_environment()
    from granian.cli import entrypoint

    entrypoint()
