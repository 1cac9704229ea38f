"""The mail intake's services, as other apps and the ways in call them.

The work is split by job; this module names the public entry points in one place:

- ``accept``: store the raw bytes and commit, once per message (``inbound_accept``,
  ``inbounds_accept``);
- ``engine``: claim, parse, decide and act exactly once, alone or in groups
  (``inbound_process``, ``inbounds_process``, the intake engine's ``intake_step``);
- ``door``: the pure rules that decide what a message is (``door.decide``);
- ``acts``: what a decided message does (tickets, replies, automatic answers);
- ``held``: mail held until its sender confirms it (``inbound_confirm``, ``inbound_reject``).
"""

from __future__ import annotations

from xuala.intake.accept import (
    HANDOFF_GRACE,
    Incoming,
    UnusableMessage,
    content_sha256,
    header_message_id,
    inbound_accept,
    inbounds_accept,
)
from xuala.intake.acts import CONFIRM_REQUESTS_PER_HOUR, autoreply_period
from xuala.intake.door import LOOP_PRECEDENCE, reopen_window
from xuala.intake.engine import MAX_ATTEMPTS, inbound_process, inbounds_process, intake_step
from xuala.intake.held import inbound_confirm, inbound_reject

__all__ = [
    "CONFIRM_REQUESTS_PER_HOUR", "HANDOFF_GRACE", "LOOP_PRECEDENCE", "MAX_ATTEMPTS",
    "Incoming", "UnusableMessage", "autoreply_period", "content_sha256", "header_message_id",
    "inbound_accept", "inbound_confirm", "inbound_process", "inbound_reject",
    "inbounds_accept", "inbounds_process", "intake_step", "reopen_window",
]
