"""The desk's services: every change of a ticket goes through one of these and writes an
event row. This module is the one import for the faces and the other apps; each service
lives in the module of its job:

- ``opening``: a client's request checked, triaged, clocked and written (one or many);
- ``messages``: replies, notes, the client's messages, the desk's own, their files;
- ``statuses``: status moves and the clock pauses they make, assignment;
- ``decisions``: triage decisions carried out (answers citing the policy's clause);
- ``retriage``: a proposal decided under another rule (an agent's change, a live fact);
- ``clocks``: the SLA instants and queue columns derived from a ticket's state;
- ``staff``: what agents change outside tickets (canned replies, their sign-in device);
- ``events``: the event log;
- ``urgent``: the urgent review of a plan site (§6.3.6), one ticket per site and cause.
"""

from __future__ import annotations

from xuala.desk.decisions import (
    decision_handler_register,
    ticket_emergency_confirm,
    ticket_triage_apply,
    ticket_triage_dismiss,
    triage_prepared_answer,
)
from xuala.desk.events import event_record
from xuala.desk.messages import (
    Upload,
    customer_attachment_bytes,
    ticket_client_message,
    ticket_note,
    ticket_reply,
    ticket_system_message,
)
from xuala.desk.opening import (
    Opened,
    OpenReads,
    OpenRequest,
    PreparedOpen,
    client_channel_check,
    request_text,
    ticket_open,
    ticket_open_prepare,
    tickets_open_write,
)
from xuala.desk.retriage import (
    ticket_site_fault_confirm,
    ticket_triage_change,
    ticket_triage_correct,
    triage_rule_choices,
)
from xuala.desk.staff import (
    canned_reply_delete,
    canned_reply_save,
    totp_device_confirm,
    totp_device_pending,
)
from xuala.desk.statuses import (
    ALLOWED,
    QUOTE_EXITS,
    statuses_reachable,
    ticket_assign,
    ticket_set_status,
)
from xuala.desk.urgent import UrgentOutcome, UrgentWords, urgent_language, urgent_review

__all__ = [
    "ALLOWED",
    "QUOTE_EXITS",
    "OpenReads",
    "OpenRequest",
    "Opened",
    "PreparedOpen",
    "Upload",
    "UrgentOutcome",
    "UrgentWords",
    "canned_reply_delete",
    "canned_reply_save",
    "client_channel_check",
    "customer_attachment_bytes",
    "decision_handler_register",
    "event_record",
    "request_text",
    "statuses_reachable",
    "ticket_assign",
    "ticket_client_message",
    "ticket_emergency_confirm",
    "ticket_note",
    "ticket_open",
    "ticket_open_prepare",
    "ticket_reply",
    "ticket_set_status",
    "ticket_site_fault_confirm",
    "ticket_system_message",
    "ticket_triage_apply",
    "ticket_triage_change",
    "ticket_triage_correct",
    "ticket_triage_dismiss",
    "tickets_open_write",
    "totp_device_confirm",
    "totp_device_pending",
    "triage_prepared_answer",
    "triage_rule_choices",
    "urgent_language",
    "urgent_review",
]
