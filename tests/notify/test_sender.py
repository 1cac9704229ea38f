"""Outgoing mail is sent in the company's name, taken from the policy file (its one source)."""

from __future__ import annotations

import pytest
from django.core import mail

from tests.policy.copies import policy_copy
from xuala.notify.services import email_enqueue, outbox_step

pytestmark = pytest.mark.django_db


def _sent_from() -> str:
    email_enqueue(to="ana@cliente-demo.es", subject="Hola", body_text="Hola", purpose="test")
    assert outbox_step() == 1
    (message,) = mail.outbox
    return message.from_email


def test_a_bare_sender_address_is_named_after_the_policys_company(settings, tmp_path):
    settings.DEFAULT_FROM_EMAIL = "asistencia@modo3.net"
    policy_copy(tmp_path, settings, ('company = "Xuala Cloud"', 'company = "Modo Tres Hosting"'))
    assert _sent_from() == "Modo Tres Hosting <asistencia@modo3.net>"


def test_a_sender_configured_with_a_name_keeps_it(settings):
    settings.DEFAULT_FROM_EMAIL = "Equipo de guardia <guardia@modo3.net>"
    assert _sent_from() == "Equipo de guardia <guardia@modo3.net>"
