"""What a parse gives: the parsed message, its attachments, a bounce's report.

The results of ``parse_message``: plain data, no behaviour, so that every stage of the
parser (and the intake) can name them without importing the stages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ParsedAttachment:
    filename: str          # already made safe (no paths, no control chars, <=150 chars)
    content_type: str
    content: bytes


@dataclass
class DsnInfo:
    """A delivery-status notification (RFC 3464) or a recognisable bounce."""

    original_message_id: str | None = None
    action: str | None = None      # failed / delayed / delivered …
    status: str | None = None      # 5.1.1 …
    final_recipient: str | None = None
    diagnostic: str | None = None


@dataclass
class ParsedMail:
    """What one message says. Every str is free of NUL and lone surrogates (storable)."""

    message_id: str | None = None  # "<...>" as in the (first) header, None when absent
    from_address: str = ""         # lower-cased addr-spec ("" when absent/unparseable)
    from_name: str = ""
    # The header the sender was read from: "from", else "reply-to", "sender" or
    # "return-path" when From is missing or unreadable ("" when none gave an address).
    from_header: str = "from"
    to: list[str] = field(default_factory=list)            # lower-cased addresses
    cc: list[str] = field(default_factory=list)
    # Delivered-To, then X-Original-To and Envelope-To: where the MTA delivered it.
    delivered_to: list[str] = field(default_factory=list)
    reply_to: str | None = None
    subject: str = ""              # decoded (RFC 2047), whitespace-collapsed
    date: datetime | None = None   # aware (UTC when the header says -0000 or nothing)
    in_reply_to: list[str] = field(default_factory=list)   # "<...>" ids, in order
    references: list[str] = field(default_factory=list)
    text: str = ""                 # text/plain, else derived from the HTML ("\n" line ends)
    html: str = ""                 # the HTML body as received ("" if none); not sanitised
    new_text: str = ""             # text minus the quoted conversation and the signature
    attachments: list[ParsedAttachment] = field(default_factory=list)
    oversized_attachments: list[str] = field(default_factory=list)  # safe names, not loaded
    auto_submitted: str | None = None  # header value lower-cased
    precedence: str | None = None
    is_auto_reply: bool = False    # RFC 3834, list mail, reports and the usual heuristics
    is_from_mailer_daemon: bool = False
    dsn: DsnInfo | None = None
    authentication_results: list[str] = field(default_factory=list)  # raw, top first
    received_spf: list[str] = field(default_factory=list)
    headers_defects: list[str] = field(default_factory=list)  # for the agent, never fatal


class UnparseableMail(ValueError):
    """Nothing usable could be read from the bytes (no headers at all, empty input)."""
