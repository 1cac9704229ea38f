"""The ticket's event log reads in words: every event key the code writes has a translated
sentence, and the page shows sentences, never machine keys or raw data."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.utils import translation

from tests.console.conftest import madrid, open_ticket
from xuala.console.events import SENTENCES, event_text
from xuala.desk.models import Status
from xuala.desk.services import event_record, ticket_assign, ticket_reply

SOURCE = Path(__file__).resolve().parents[2] / "xuala"
WRITERS = {"event_record", "TicketEvent", "_event"}
KEY = re.compile(r"^[a-z]+\.[a-z_]+$")


def _call_name(node: ast.Call) -> str:
    return getattr(node.func, "id", None) or getattr(node.func, "attr", "")


def _strings(node) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and KEY.match(n.value)}


def event_keys_in_code() -> set[str]:
    """The keys of every event the code writes.

    A key written literally is taken from the call; a key held in a variable (the SLA stages,
    a delivery report's kind) is one of the key-shaped strings of the same module, of a family
    written literally somewhere, that is not a mail's ``purpose``."""
    direct: set[str] = set()
    modules: list[tuple[ast.AST, set[str]]] = []
    for path in SOURCE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        writes = False
        purposes: set[str] = set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg == "purpose":
                    purposes |= _strings(keyword.value)
            if _call_name(node) not in WRITERS:
                continue
            writes = True
            for keyword in node.keywords:
                if keyword.arg == "key":
                    direct |= _strings(keyword.value)
            if _call_name(node) == "_event" and len(node.args) > 1:
                direct |= _strings(node.args[1])
        if writes:
            modules.append((tree, purposes))
    families = {key.split(".")[0] for key in direct}
    held = {key for tree, purposes in modules for key in _strings(tree) - purposes
            if key.split(".")[0] in families}
    return direct | held


def test_every_event_key_the_code_writes_has_a_sentence():
    keys = event_keys_in_code()
    assert {"ticket.opened", "sla.breached", "mail.bounced", "quote.sent"} <= keys
    assert "ticket.reply" not in keys  # a mail's purpose, not an event
    assert sorted(keys - set(SENTENCES)) == []


def test_every_sentence_has_a_spanish_translation():
    with translation.override("es"):
        for key, data in [("ticket.assigned", {"assignee": None}),
                          ("sla.first_response", {"within_target": True}),
                          ("ticket.status_changed", {"old": "new", "new": "open"}),
                          ("sentry.recovered", {"downtime_seconds": 600})]:
            spanish = event_text(key, data, people={})
            with translation.override("en"):
                assert spanish != event_text(key, data, people={}), key


def test_the_ticket_page_shows_the_log_in_words(agent_client, agent_user, hosting_customer):
    ticket = open_ticket(hosting_customer)
    ticket_assign(ticket=ticket, assignee=agent_user, actor=agent_user)
    ticket_reply(ticket=ticket, author=agent_user, body_text="Ya está.",
                 status=Status.WAITING_CLIENT, at=madrid(25, 13))
    event_record(ticket=ticket, key="mail.bounced", recipient="ana@cliente.es", status="5.1.1")
    page = agent_client.get(f"/console/tickets/{ticket.pk}/").text
    log = page.split('id="ticket-events"', 1)[1].split("</ol>", 1)[0]
    assert "Ticket abierto desde Área de Cliente como Estándar" in log
    assert f"Ticket asignado a {agent_user}." in log
    assert "Primera respuesta dada dentro del tiempo objetivo." in log
    assert "Estado cambiado de Nuevo a Esperando al cliente." in log
    assert "Un correo a ana@cliente.es ha rebotado (5.1.1)." in log
    for machine in ("ticket.opened", "within_target", "assignee=", "<code>"):
        assert machine not in re.sub(r'data-key="[^"]*"', "", log)


def test_an_unknown_key_from_an_old_row_is_shown_as_stored():
    assert event_text("legacy.thing", {"x": 1}, people={}) == "legacy.thing"
