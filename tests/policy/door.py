"""The mail door for the policy tests: accept and process one message as SMTP does."""

from __future__ import annotations

import pytest

from tests.intake.conftest import SUPPORT, compose

__all__ = ["SUPPORT", "compose", "mail_door"]


@pytest.fixture
def mail_door(settings):
    """deliver(raw) -> the processed inbound row; sender checks off (no DNS in tests)."""
    from email import message_from_bytes

    from xuala.intake.services import inbound_accept, inbound_process

    settings.XUALA_MAIL_AUTH = "off"

    def deliver(raw: bytes):
        sender = message_from_bytes(raw)["From"]
        row = inbound_accept(raw=raw, path="smtp", envelope_from=sender, envelope_to=[SUPPORT],
                             client_ip="192.0.2.10", helo="mail.example.net")
        return inbound_process(message=row)
    return deliver
