"""`xuala antispam key create --site URL` and `key revoke`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from xuala.antispam.models import AntispamEvent, AntispamKey
from xuala.antispam.selectors import key_digest


def _run(*args) -> str:
    out = StringIO()
    call_command("antispam", *args, stdout=out)
    return out.getvalue()


def test_key_create_prints_the_key_alone_on_its_line(plan_customer):
    out = _run("key", "create", "--site", "https://www.cliente-demo.es/")
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("xs")
    key = AntispamKey.objects.get()
    assert key.key_hash == key_digest(lines[0]) and lines[0] not in key.key_hash
    assert AntispamEvent.objects.filter(key="antispam.key_created", site=key.site).exists()


def test_key_create_finds_the_site_by_its_host(plan_customer):
    assert _run("key", "create", "--site", "cliente-demo.es").strip()


def test_key_create_refuses_a_site_without_an_active_plan(hosting_customer):
    with pytest.raises(CommandError, match="no active coverage plan"):
        _run("key", "create", "--site", "https://www.sinplan-demo.es/")
    assert not AntispamKey.objects.exists()


def test_key_create_refuses_an_unknown_site(db):
    with pytest.raises(CommandError, match="no site"):
        _run("key", "create", "--site", "https://nadie.example/")


def test_key_revoke_by_prefix(plan_customer):
    _run("key", "create", "--site", "cliente-demo.es")
    prefix = AntispamKey.objects.get().prefix
    assert "revoked" in _run("key", "revoke", prefix)
    assert AntispamKey.objects.get().revoked_at is not None
