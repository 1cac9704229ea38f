"""`xuala mail pipe`: one message on stdin, sysexits exit codes, 0 only after the commit."""

from __future__ import annotations

import subprocess

import pytest
from django.db import connection

from tests.intake.conftest import SUPPORT, compose, xuala
from xuala.desk.models import Ticket
from xuala.intake.models import InboundMessage, InboundStatus

# Starts child processes (or servers in them) that run on the real clock, not under --clock-ahead.
pytestmark = pytest.mark.real_clock

EX_DATAERR = 65
EX_TEMPFAIL = 75


def pipe(raw: bytes, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(xuala("mail", "pipe", *args), input=raw, env=env,
                          capture_output=True, timeout=120)


def test_it_stores_and_processes_a_message_and_exits_0(child_env, plan_customer):
    raw = compose(message_id="<pipe-1@cliente-demo.es>")
    done = pipe(raw, child_env, "--recipient", SUPPORT, "--sender", "ana@cliente-demo.es")
    assert done.returncode == 0, done.stderr.decode()
    row = InboundMessage.objects.get()
    assert row.path == "pipe" and row.raw_bytes() == raw
    assert row.envelope_to == [SUPPORT] and row.envelope_from == "ana@cliente-demo.es"
    assert row.status == InboundStatus.PROCESSED and row.outcome == "ticket.opened"


def test_a_message_piped_twice_is_one_ticket(child_env, plan_customer):
    raw = compose(message_id="<pipe-twice@cliente-demo.es>")
    assert pipe(raw, child_env).returncode == 0
    assert pipe(raw, child_env).returncode == 0
    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_without_a_recipient_the_headers_say_it_went_to_another_address(child_env,
                                                                          plan_customer):
    done = pipe(compose(to="ventas@modo3.net"), child_env)
    assert done.returncode == 0
    assert InboundMessage.objects.get().outcome == "door.wrong_channel"
    assert not Ticket.objects.exists()


def test_empty_input_is_a_data_error(child_env):
    done = pipe(b"", child_env)
    assert done.returncode == EX_DATAERR
    assert b"empty" in done.stderr
    assert not InboundMessage.objects.exists()


def test_a_message_over_the_size_limit_is_a_data_error(child_env):
    env = {**child_env, "XUALA_SMTP_MAX_MB": "1"}
    done = pipe(compose(body=("x" * 70 + "\n") * 16_000), env)
    assert done.returncode == EX_DATAERR
    assert b"larger than" in done.stderr
    assert not InboundMessage.objects.exists()


@pytest.fixture
def unreachable_database(child_env, tmp_path):
    """The child's database cannot be reached: a missing directory, or no such database."""
    if connection.vendor == "sqlite":
        name = str(tmp_path / "missing-dir" / "xuala.sqlite3")
    else:
        name = "xuala_no_such_database"
    module = tmp_path / "xuala_child_settings.py"
    module.write_text(module.read_text() + f"DATABASES['default']['NAME'] = {name!r}\n")
    return child_env


def test_a_database_it_cannot_reach_is_a_temporary_failure_so_the_mta_retries(
        unreachable_database):
    done = pipe(compose(), unreachable_database)
    assert done.returncode == EX_TEMPFAIL, done.stderr.decode()
    assert b"could not store the message now" in done.stderr


def test_another_message_under_a_message_id_already_seen_is_stored_and_opens_its_ticket(
        child_env, plan_customer):
    first = compose(message_id="<reused@cliente-demo.es>", subject="No carga la web")
    second = compose(message_id="<reused@cliente-demo.es>", subject="Otra cosa",
                     body="El correo no llega.")
    assert pipe(first, child_env).returncode == 0
    done = pipe(second, child_env)
    assert done.returncode == 0, done.stderr.decode()
    rows = list(InboundMessage.objects.order_by("id"))
    assert [r.raw_bytes() for r in rows] == [first, second]
    assert [r.outcome for r in rows] == ["ticket.opened", "ticket.opened"]
    assert rows[1].detail["message_id_reused"] == rows[0].pk
    ticket = Ticket.objects.get(subject="Otra cosa")
    event = ticket.events.get(key="mail.message_id_reused")
    assert event.data["first_inbound"] == rows[0].pk


def test_the_same_bytes_again_under_a_reused_message_id_stay_one_message(child_env,
                                                                          plan_customer):
    first = compose(message_id="<reused-twice@cliente-demo.es>", subject="Uno")
    second = compose(message_id="<reused-twice@cliente-demo.es>", subject="Dos")
    for raw in (first, second, second, first):
        assert pipe(raw, child_env).returncode == 0
    assert InboundMessage.objects.count() == 2
    assert Ticket.objects.count() == 2
