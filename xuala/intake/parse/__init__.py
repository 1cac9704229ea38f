"""Parsing one inbound e-mail: headers, bodies, attachments, auto-replies and bounces.

Pure Python over the standard library's ``email`` package; no database. Built to survive
anything a mail server may hand over: ``parse_message`` returns a ParsedMail for every input
with at least one header and raises UnparseableMail (and nothing else) otherwise.

How the pieces are read:

- The MIME tree is parsed with the ``compat32`` policy, whose messages keep raw header
  strings: walking a damaged message never triggers a lazy header parse that raises.
- Header values go through ``email.policy.default``'s header registry first (RFC 5322
  address lists, RFC 2047 words) and fall back to compat32-style tolerant decoding here when
  that raises or leaves undecodable text (unknown charsets, broken encoded words, raw 8-bit).
- Text is decoded with the declared charset, then UTF-8, then (only for what is not UTF-8)
  the charsets the message declares elsewhere, a detector, Windows-1252 and Latin-1 (see
  ``xuala.intake.charsets``); raw 8-bit headers and file names the same way. Decoding always
  succeeds; every fallback is noted in ``headers_defects`` for the agent.
- Text is derived from HTML by a small linear tokenizer, not html.parser (see html_to_text).
- Work is bounded on hostile input: header values, MIME parts, nesting and quote depth are
  capped (the limits below), and no step is worse than linear in the size of the message.

A message whose MIME structure the parser cannot build at all is still returned, with its
headers and the undecoded body as text ("parsed in degraded mode" in headers_defects).
"""

from __future__ import annotations

from xuala.core.files import safe_filename
from xuala.core.html import html_to_text
from xuala.intake.charsets import decode_bytes
from xuala.intake.parse.message import extract_message_id, parse_message
from xuala.intake.parse.mime import decode_base64
from xuala.intake.parse.parsed import DsnInfo, ParsedAttachment, ParsedMail, UnparseableMail
from xuala.intake.parse.words import decode_words, unflow

__all__ = [
    "DsnInfo",
    "ParsedAttachment",
    "ParsedMail",
    "UnparseableMail",
    "decode_base64",
    "decode_bytes",
    "decode_words",
    "extract_message_id",
    "html_to_text",
    "parse_message",
    "safe_filename",
    "unflow",
]
