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

import base64
import binascii
import email.errors
import email.policy
import email.utils
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from io import BytesIO

from xuala.core.files import safe_filename
from xuala.core.html import html_to_text
from xuala.intake.charsets import DeclaredCharsets, decode_bytes, decode_unknown
from xuala.intake.quotes import is_forward, strip_quoted

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


# --------------------------------------------------------------------------------------------
# Limits

_MAX_DEPTH = 40
_MAX_DEFECTS = 60
_MAX_HEADER_VALUE = 8_000          # longer header values are cut before decoding
# email.policy.default's header parser is quadratic on some input (8,000 '"' take seconds):
# longer values, and address headers past the tenth, go to the linear compat32 readers.
_MAX_REGISTRY_VALUE = 400
# compat32's parameter parser is quadratic too: MIME headers of parts are cut to this length.
_MAX_MIME_HEADER = 2_000
_MAX_PARTS = 1_000                 # MIME parts read per message; the rest is noted, not read
_MAX_ADDRESS_VALUES = 10
_LEADING_GARBAGE_LINES = 5         # lines skipped before the headers when none are found
_MAX_REPORT_LINE = 2_000           # bounce text lines are cut to this before pattern matching

_POLICY_DEFAULT = email.policy.default
_POLICY_COMPAT = email.policy.compat32
_NO_HINTS = DeclaredCharsets()

# --------------------------------------------------------------------------------------------
# Text decoding


_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HEADER_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def _clean_body(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _BODY_CONTROL.sub("", text)
    if _has_surrogates(text):
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _clean_header(text: str) -> str:
    if _has_surrogates(text):
        text = text.encode("utf-8", "replace").decode("utf-8")
    text = _HEADER_CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _repair_8bit(value: str, notes: list[str] | None = None, what: str = "header",
                 hints: DeclaredCharsets = _NO_HINTS) -> str:
    """Turn the surrogate-escaped raw bytes the parser left in a header into real characters."""
    if not _has_surrogates(value):
        return value
    return decode_unknown(value.encode("utf-8", "surrogateescape"), notes, what, hints)


def unflow(text: str, *, delsp: bool = False) -> str:
    """Join the soft line breaks of format=flowed text (RFC 3676), quote depth by depth."""
    out: list[str] = []
    pending: tuple[int, str] | None = None
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        if pending is not None and pending[0] == depth:
            content = pending[1] + content
        elif pending is not None:
            out.append(_quoted_line(*pending))
        pending = None
        if content.endswith(" ") and content != "-- ":
            pending = (depth, content[:-1] if delsp else content)
            continue
        out.append(_quoted_line(depth, content))
    if pending is not None:
        out.append(_quoted_line(*pending))
    return "\n".join(out)


def _quoted_line(depth: int, content: str) -> str:
    if not depth:
        return content
    return ">" * depth + (" " + content if content else "")


# --------------------------------------------------------------------------------------------
# RFC 2047 encoded words, tolerant of what mailers really send

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([bBqQ])\?([^?]*?)\?=")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")


def _b_decode(payload: str) -> bytes:
    cleaned = _NOT_BASE64.sub("", payload)
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned)
    except (binascii.Error, ValueError):
        return b""


def _q_decode(payload: str) -> bytes:
    data = payload.replace("_", " ").encode("utf-8", "surrogateescape")
    return _QP_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def decode_words(value: str, notes: list[str] | None = None,
                 hints: DeclaredCharsets = _NO_HINTS) -> str:
    """Decode RFC 2047 encoded words anywhere in ``value`` (broken ones too)."""
    value = _repair_8bit(value, notes, hints=hints)
    if "=?" not in value:
        return value
    pieces: list[tuple[str | None, str | bytes]] = []   # (charset, bytes) or (None, text)
    pos = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[pos:match.start()]
        previous_is_word = bool(pieces) and pieces[-1][0] is not None
        if between and not (previous_is_word and not between.strip()):
            pieces.append((None, between))
        charset = match.group(1).split("*", 1)[0].lower()
        payload = match.group(3)
        data = _b_decode(payload) if match.group(2) in "bB" else _q_decode(payload)
        last = pieces[-1] if pieces else None
        if last is not None and last[0] == charset and isinstance(last[1], bytes):
            # Adjacent words in one charset are joined first: mailers split characters.
            pieces[-1] = (charset, last[1] + data)
        else:
            pieces.append((charset, data))
        pos = match.end()
    pieces.append((None, value[pos:]))
    out = []
    for charset, chunk in pieces:
        if charset is None:
            out.append(str(chunk))
        else:
            out.append(decode_bytes(bytes(chunk), charset, notes, "encoded word", hints))
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Header access


_LINE_BREAKS = re.compile(r"\r?\n|\r")


class _Headers:
    """The message's headers by lower-cased name, raw values unfolded, in order."""

    def __init__(self, msg: Message):
        self.values: dict[str, list[str]] = {}
        for name, value in msg.raw_items():
            key = str(name).strip().lower()
            if not key.isprintable():
                key = _clean_header(key)
            if not isinstance(value, str):
                value = str(value)
            if len(value) > _MAX_HEADER_VALUE:
                value = value[:_MAX_HEADER_VALUE]
            if "\n" in value or "\r" in value:
                value = _LINE_BREAKS.sub("", value)
            self.values.setdefault(key, []).append(value)

    def all(self, name: str) -> list[str]:
        return self.values.get(name, [])

    def first(self, name: str) -> str | None:
        values = self.values.get(name)
        return values[0] if values else None

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def __bool__(self) -> bool:
        return bool(self.values)


_ADDR_SPEC = re.compile(r"[^\s<>@,;:\"()\[\]\\]+@[^\s<>@,;:\"()\[\]\\]+")


def _valid_addr(addr: str) -> str | None:
    addr = addr.strip().strip("<>").strip().lower()
    return addr if _ADDR_SPEC.fullmatch(addr) else None


# The plainest address headers ("addr", "Name Surname <addr>", '"Name, S." <addr>', ASCII
# only) are read directly: the header registry gives the same pairs for them, at several
# times the cost, and most mail has nothing else (tests/intake/test_parse.py compares both).
_PLAIN_LOCAL = r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
_PLAIN_DOMAIN = r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
_PLAIN_ADDRESS = re.compile(
    rf"\s*(?:(?P<name>[A-Za-z0-9'-]+(?: [A-Za-z0-9'-]+)*) |\"(?P<quoted>[A-Za-z0-9'.,-]+"
    rf"(?: [A-Za-z0-9'.,-]+)*)\" ?)?(?P<angle><)?(?P<addr>{_PLAIN_LOCAL}@{_PLAIN_DOMAIN})"
    rf"(?(angle)>)\s*")


def _plain_address(value: str) -> list[tuple[str, str]] | None:
    match = _PLAIN_ADDRESS.fullmatch(value)
    if match is None or ((match["name"] or match["quoted"]) and not match["angle"]):
        return None
    return [(match["name"] or match["quoted"] or "", match["addr"])]


def _addresses(values: list[str], name: str, notes: list[str],
               hints: DeclaredCharsets = _NO_HINTS) -> list[tuple[str, str]]:
    """(display name, lower-cased addr-spec) pairs from the values of an address header."""
    found: list[tuple[str, str]] = []
    if len(values) > _MAX_ADDRESS_VALUES:
        notes.append(f"{len(values)} {name} headers; the first {_MAX_ADDRESS_VALUES} are read")
    for raw in values[:_MAX_ADDRESS_VALUES]:
        value = _repair_8bit(raw, notes, name, hints)
        value = _HEADER_CONTROL.sub(" ", value)
        pairs: list[tuple[str, str]] | None = _plain_address(value)
        if pairs is None and len(value) <= _MAX_REGISTRY_VALUE:
            try:
                header = _POLICY_DEFAULT.header_factory(name, value)
                pairs = [(address.display_name or "", address.addr_spec or "")
                         for address in header.addresses]
                if any(_has_surrogates(n) or "\ufffd" in n or "=?" in n for n, _ in pairs):
                    pairs = None
            except Exception:  # the registry's parser raises on odd input
                pairs = None
        if not pairs or not any(_valid_addr(a) for _, a in pairs):
            try:
                pairs = [(decode_words(n, notes, hints), a)
                         for n, a in email.utils.getaddresses([value])]
            except Exception:  # compat32's parser is the last resort
                pairs = []
        literal = value.lower() if "=?" in value else None
        for display, addr in pairs:
            valid = _valid_addr(addr)
            if valid and literal is not None and valid not in literal:
                # An encoded word in the address itself (RFC 2047 §5 forbids it) was
                # decoded into an address the header does not carry: not an address.
                notes.append(f"encoded word in a {name} address")
                continue
            if valid:
                found.append((_clean_header(display), valid))
    return found


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


_MSGID = re.compile(r"<[^<>\s]{1,900}>")


def _message_id(value: str | None) -> str | None:
    if value is None:
        return None
    value = _clean_header(_repair_8bit(value))
    match = _MSGID.search(value)
    if match:
        return match.group(0)
    token = value.split(" ")[0].strip("<>") if value else ""
    if token and "@" in token and len(token) < 900:
        return f"<{token}>"
    return None


def _message_ids(values: list[str]) -> list[str]:
    ids: list[str] = []
    for value in values:
        ids.extend(_MSGID.findall(_clean_header(_repair_8bit(value))))
    return _unique(ids)


def _subject(value: str | None, notes: list[str], hints: DeclaredCharsets = _NO_HINTS) -> str:
    if value is None:
        return ""
    value = _repair_8bit(value, notes, "Subject", hints)
    if len(value) > _MAX_REGISTRY_VALUE:
        return _clean_header(decode_words(value, notes))
    try:
        header = _POLICY_DEFAULT.header_factory("subject", _HEADER_CONTROL.sub(" ", value))
        text = str(header)
        clean = (not header.defects and not _has_surrogates(text) and "\ufffd" not in text
                 and "=?" not in text)  # a word the registry could not decode is left as is
    except Exception:  # the registry gave up: the tolerant decoder below reads it
        clean = False
    if clean:
        return _clean_header(text)
    return _clean_header(decode_words(value, notes))


def _date(value: str | None, notes: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(_clean_header(_repair_8bit(value)))
    except Exception:  # any malformed date is simply unknown
        notes.append("unparseable Date header")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not 1970 <= parsed.year <= 2200:
        # Year 1 or 9999 would overflow once converted or stored: unknown, not fatal.
        notes.append("implausible Date header")
        return None
    return parsed


# --------------------------------------------------------------------------------------------
# File names


# (one rule for every door: xuala.core.files.safe_filename)


# --------------------------------------------------------------------------------------------
# HTML to text


# (one tokenizer for the desk: xuala.core.html.html_to_text)


# --------------------------------------------------------------------------------------------
# The MIME walk


def _cap_headers(part: Message) -> None:
    """Cut over-long header values in place, keeping their order (see _MAX_MIME_HEADER).

    The list is rewritten directly: the public way (delete by name, set_raw) costs a scan of
    every header per name, quadratic on the thousands of headers a hostile message carries.
    """
    headers = getattr(part, "_headers", None)
    if not isinstance(headers, list):
        return
    if not any(len(value) > _MAX_MIME_HEADER for _, value in headers if isinstance(value, str)):
        return
    part._headers = [
        (name, value[:_MAX_MIME_HEADER if name.lower().startswith("content-")
                     else _MAX_HEADER_VALUE] if isinstance(value, str) else value)
        for name, value in headers
    ]


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _param(part: Message, name: str, header: str = "content-type") -> str | None:
    try:
        value = part.get_param(name, header=header)
    except Exception:
        return None
    if value is None:
        return None
    if isinstance(value, tuple):
        try:
            value = email.utils.collapse_rfc2231_value(value)
        except Exception:
            value = value[2]
    return str(value)


def _disposition(part: Message) -> str:
    value = part.get("content-disposition")
    if not value:
        return ""
    return str(value).split(";", 1)[0].strip().lower()


def _raw_filename(part: Message, notes: list[str],
                  hints: DeclaredCharsets = _NO_HINTS) -> str | None:
    try:
        name = _params_repaired(part, notes, hints).get_filename()
    except Exception:
        name = None
    if name is None:
        return None
    return decode_words(str(name), notes, hints).strip() or None


def _params_repaired(part: Message, notes: list[str], hints: DeclaredCharsets) -> Message:
    """``part``, or when its Content-Type or Content-Disposition carries raw 8-bit bytes (a
    file name in Latin-1 or UTF-8), a stand-in holding those two repaired."""
    values: dict[str, object] = {}
    for name, value in part.raw_items():  # raw: get() wraps 8-bit values in a Header
        key = str(name).lower()
        if key in ("content-type", "content-disposition"):
            values.setdefault(key, value)
    if not any(isinstance(v, str) and _has_surrogates(v) for v in values.values()):
        return part
    stand_in = Message()
    for name, value in values.items():
        if isinstance(value, str):
            stand_in[name] = _repair_8bit(value, notes, "file name", hints)
    return stand_in


_BOUNDARY_LINE = re.compile(r"^--([0-9A-Za-z'()+_,./:=? -]{1,70}?)[ \t]*\r?$", re.MULTILINE)


_BASE64_LINE = re.compile(r"[A-Za-z0-9+/]*=*")


def decode_base64(payload: str, notes: list[str] | None = None) -> bytes:
    """Decode a base64 body, salvaging what can be read when it is damaged.

    Valid input decodes as a whole. Otherwise lines that are not base64 are dropped and a
    short line (or one with padding) ends a chunk, since encoders wrap at a fixed multiple of
    four: truncated, unpadded or concatenated pieces still decode.
    """
    compact = "".join(payload.split())
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        pass
    if notes is not None:
        notes.append("damaged base64 content")
    chunks: list[bytes] = []
    buffer = ""
    for line in payload.splitlines():
        line = line.strip()
        if not line or not _BASE64_LINE.fullmatch(line):
            continue
        buffer += line
        if "=" in line or len(line) % 4:
            chunks.append(_b_decode(buffer))
            buffer = ""
    if buffer:
        chunks.append(_b_decode(buffer))
    return b"".join(chunks)


def _payload_bytes(part: Message, notes: list[str] | None = None) -> bytes:
    payload = part.get_payload()
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    if cte == "base64" and isinstance(payload, str):
        return decode_base64(payload, notes)
    try:
        data = part.get_payload(decode=True)
    except Exception:  # decoding errors: fall back to the raw payload
        data = None
    if isinstance(data, bytes):
        return data
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _message_bytes(part: Message) -> bytes:
    """The bytes of a message/* part's content (the embedded message or status blocks)."""
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    chunks = []
    for sub in payload or []:
        try:
            out = BytesIO()
            BytesGenerator(out, mangle_from_=False, policy=_POLICY_COMPAT).flatten(sub)
            chunks.append(out.getvalue())
        except Exception:  # an embedded message the generator cannot write is left out
            chunks.append(b"")
    return b"\n".join(chunks)


class _Walker:
    """Collects body segments and attachments from a MIME tree."""

    def __init__(self, *, max_attachment_bytes: int, notes: list[str],
                 parts: list[int] | None = None, hints: DeclaredCharsets = _NO_HINTS):
        self.max_attachment_bytes = max_attachment_bytes
        self.notes = notes
        self.hints = hints
        self.segments: list[tuple[str | None, str | None]] = []   # (plain, html)
        self.attachments: list[ParsedAttachment] = []
        self.oversized: list[str] = []
        self.delivery_status: list[Message] = []
        self.embedded_headers: list[Message | str] = []
        self.report = False
        self.parts = parts if parts is not None else [0]   # shared with nested walkers

    def note_defects(self, part: Message) -> None:
        for defect in getattr(part, "defects", ()) or ():
            self.notes.append(type(defect).__name__)

    def walk(self, part: Message, depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            self.notes.append("MIME nesting too deep; inner parts ignored")
            return
        if not self.count(part):
            return
        self.note_defects(part)
        ctype = _content_type(part)
        if part.is_multipart() and not ctype.startswith("message/"):
            children = [c for c in part.get_payload() if isinstance(c, Message)]
            if ctype == "multipart/report":
                self.report = True
            if ctype == "multipart/alternative":
                self.alternative(children, depth)
            else:
                for child in children:
                    self.walk(child, depth + 1)
            return
        self.other(part, ctype, depth)

    def other(self, part: Message, ctype: str, depth: int) -> None:
        """A part that is not a parsed multipart: a message, a lost multipart or a leaf."""
        maintype = ctype.split("/", 1)[0]
        if maintype == "message":
            self.message_part(part, ctype)
            return
        if maintype == "multipart":
            recovered = self.recover_multipart(part, ctype)
            if recovered is not None:
                self.walk(recovered, depth + 1)
                return
            self.segments.append((self.text_of(part), None))
            return
        self.leaf(part, ctype)

    def count(self, part: Message) -> bool:
        """Count a part about to be read (its headers capped); False past _MAX_PARTS."""
        self.parts[0] += 1
        if self.parts[0] > _MAX_PARTS:
            if self.parts[0] == _MAX_PARTS + 1:
                self.notes.append(f"more than {_MAX_PARTS} MIME parts; the rest are ignored")
            return False
        _cap_headers(part)
        return True

    def alternative(self, children: list[Message], depth: int) -> None:
        plain: str | None = None
        html: str | None = None
        for child in children:
            if not child.is_multipart() and not self.count(child):
                return
            ctype = _content_type(child)
            if child.is_multipart() and not ctype.startswith("message/"):
                sub = _Walker(max_attachment_bytes=self.max_attachment_bytes, notes=self.notes,
                              parts=self.parts, hints=self.hints)
                sub.walk(child, depth + 1)
                self.attachments.extend(sub.attachments)
                self.oversized.extend(sub.oversized)
                self.delivery_status.extend(sub.delivery_status)
                self.embedded_headers.extend(sub.embedded_headers)
                self.report = self.report or sub.report
                sub_plain = [p for p, _ in sub.segments if p is not None]
                sub_html = [h for _, h in sub.segments if h is not None]
                if sub_plain and plain is None:
                    plain = "\n".join(sub_plain)
                if sub_html:
                    html = "\n".join(sub_html)
            elif self.is_body(child, ctype) and ctype == "text/plain":
                self.note_defects(child)
                if plain is None:
                    plain = self.text_of(child)
            elif self.is_body(child, ctype) and ctype == "text/html":
                self.note_defects(child)
                html = self.text_of(child)
            elif child.is_multipart():
                self.walk(child, depth + 1)
            else:
                self.note_defects(child)
                self.other(child, ctype, depth + 1)
        if plain is not None or html is not None:
            self.segments.append((plain, html))

    def recover_multipart(self, part: Message, ctype: str) -> Message | None:
        """Re-read a multipart whose boundary is missing or wrong from the lines that look
        like one."""
        payload = part.get_payload()
        if not isinstance(payload, str):
            return None
        match = _BOUNDARY_LINE.search(payload)
        if not match:
            return None
        boundary = match.group(1).rstrip("-").rstrip()
        if not boundary or boundary == _param(part, "boundary"):
            return None
        self.notes.append("multipart boundary recovered from the body")
        header = f'Content-Type: {ctype}; boundary="{boundary}"\n\n'.encode()
        body = payload.encode("utf-8", "surrogateescape")
        try:
            return BytesParser(policy=_POLICY_COMPAT).parsebytes(header + body)
        except Exception:
            return None

    @staticmethod
    def is_body(part: Message, ctype: str) -> bool:
        if ctype not in {"text/plain", "text/html"}:
            return False
        if _disposition(part) == "attachment":
            return False
        try:
            return part.get_filename() is None
        except Exception:
            return True

    def text_of(self, part: Message) -> str:
        charset = None
        try:
            charset = part.get_content_charset()
        except Exception:
            charset = _param(part, "charset")
        data = _payload_bytes(part, self.notes)
        text = _clean_body(decode_bytes(data, charset, self.notes, "body", self.hints))
        if (_param(part, "format") or "").lower() == "flowed":
            text = unflow(text, delsp=(_param(part, "delsp") or "").lower() == "yes")
        return text

    def leaf(self, part: Message, ctype: str) -> None:
        if self.is_body(part, ctype):
            text = self.text_of(part)
            self.segments.append((text, None) if ctype == "text/plain" else (None, text))
            return
        if ctype == "text/rfc822-headers":
            self.embedded_headers.append(self.text_of(part))
        self.attach(part, ctype, _raw_filename(part, self.notes, self.hints))

    def message_part(self, part: Message, ctype: str) -> None:
        payload = part.get_payload()
        subs = [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
        for sub in subs:
            _cap_headers(sub)
        if ctype == "message/delivery-status":
            self.delivery_status.extend(subs)
        elif subs:
            self.embedded_headers.append(subs[0])
        name = _raw_filename(part, self.notes, self.hints)
        if name is None and ctype == "message/rfc822" and subs:
            subject = subs[0].get("subject")
            if subject:
                name = _subject(str(subject), self.notes, self.hints)[:120] + ".eml"
        self.attach(part, ctype, name, content=_message_bytes(part))

    def attach(self, part: Message, ctype: str, name: str | None,
               content: bytes | None = None) -> None:
        filename = safe_filename(name, ctype)
        if content is None:
            if self.too_big_encoded(part):
                self.oversized.append(filename)
                return
            content = _payload_bytes(part, self.notes)
        if len(content) > self.max_attachment_bytes:
            self.oversized.append(filename)
            return
        self.attachments.append(ParsedAttachment(filename=filename, content_type=ctype,
                                                 content=content))

    def too_big_encoded(self, part: Message) -> bool:
        """Whether the part is surely over the limit, judged before decoding it."""
        payload = part.get_payload()
        if not isinstance(payload, str):
            return False
        cte = str(part.get("content-transfer-encoding", "")).strip().lower()
        if cte == "base64":
            estimated = (len(payload) - payload.count("\n") - payload.count("\r")) * 3 // 4
            return estimated > self.max_attachment_bytes + 4_096
        return False


# --------------------------------------------------------------------------------------------
# Auto-replies and bounces

_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[ -]?(?:reply|response)|autoreply|autorespuesta|auto"
    r"|respuesta autom[aá]tica|out of (?:the )?office|fuera de (?:la )?oficina|ausente"
    r"|ausencia|vacation(?: reply)?|vacaciones|r[ée]ponse automatique|abwesenheitsnotiz)"
    r"\s*(?::|$)",
    re.IGNORECASE,
)
# Weaker: the phrase opens the subject; only with Outlook's X-Auto-Response-Suppress hint.
_AUTO_REPLY_SUBJECT_LOOSE = re.compile(
    r"^\s*(?:automatic reply|auto[ -]?reply|respuesta autom[aá]tica|out of (?:the )?office"
    r"|fuera de (?:la )?oficina|ausente|vacation|vacaciones)\b",
    re.IGNORECASE,
)
_AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autogenerated",
                 "x-auto-response", "x-autoreply-from", "x-mail-autoreply")
_LIST_HEADERS = ("list-id", "list-unsubscribe")
_DAEMON_LOCALPARTS = frozenset({"mailer-daemon", "mailer_daemon", "mailerdaemon", "postmaster",
                                "mail-daemon", "maildaemon", "mdaemon"})
_DAEMON_NAME = re.compile(r"mail delivery (?:system|subsystem)|mailer.daemon", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(?:undelivered mail|undeliverable|undelivered|mail delivery failed"
    r"|delivery status notification|returned mail|delivery failure|failure notice"
    r"|mail system error|no se puede entregar|no entregado|mensaje no entregado"
    r"|warning: could not send|delayed mail|message delivery delayed|delivery delayed"
    r"|non remis|unzustellbar)",
    re.IGNORECASE,
)
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_TEXT_MESSAGE_ID = re.compile(r"^[ \t>]*(?:original-)?message-id:[ \t]*(<[^<>\s]+>)",
                              re.IGNORECASE | re.MULTILINE)
_TEXT_FIELD = {
    name: re.compile(rf"^[ \t]*{name}:[ \t]*(.+)$", re.IGNORECASE | re.MULTILINE)
    for name in ("final-recipient", "original-recipient", "action", "status", "diagnostic-code")
}
_ADDRESS_LINE = re.compile(
    r"^(?:[ \t]*<([^\s<>@]+@[^\s<>@]+)>|[ \t]+([^\s<>@]+@[^\s<>@]+?)):?[ \t]*$", re.MULTILINE)
_DIAGNOSTIC_LINE = re.compile(
    r"^.*(?:smtp error|\b[45]\d\d[ -][245]\.\d|\b[45]\d\d\b.*(?:user|mailbox|recipient"
    r"|address|rejected|unknown|quota|exist)).*$",
    re.IGNORECASE | re.MULTILINE,
)
_ORIGINAL_COPY = re.compile(
    r"^.*(?:copy of the message|original message|mensaje original|included below"
    r"|message headers follow|undelivered message).*$",
    re.IGNORECASE | re.MULTILINE,
)


def _field_value(value: str | None) -> str | None:
    if value is None:
        return None
    return _clean_header(_repair_8bit(str(value))) or None


def _strip_type(value: str | None) -> str | None:
    """ "rfc822; a@b" → "a@b"; "smtp; 550 …" → "550 …"."""
    if value is None:
        return None
    if ";" in value:
        kind, rest = value.split(";", 1)
        if kind.strip().lower() in {"rfc822", "smtp", "x-postfix", "dns", "utf-8", "x-local"}:
            value = rest
    return value.strip() or None


def _dsn_from_report(blocks: list[Message]) -> DsnInfo:
    info = DsnInfo()
    recipients = []
    for block in blocks:
        for name in ("original-message-id", "x-original-message-id"):
            if block.get(name) and not info.original_message_id:
                info.original_message_id = _message_id(str(block.get(name)))
        if block.get("final-recipient") or block.get("action") or block.get("status"):
            recipients.append(block)
    chosen = next((b for b in recipients
                   if str(b.get("action", "")).strip().lower() == "failed"),
                  recipients[0] if recipients else None)
    if chosen is not None:
        action = _field_value(chosen.get("action"))
        info.action = action.lower() if action else None
        status = _STATUS.search(_field_value(chosen.get("status")) or "")
        info.status = status.group(1) if status else None
        recipient = _strip_type(_field_value(chosen.get("final-recipient")
                                             or chosen.get("original-recipient")))
        info.final_recipient = _valid_addr(recipient) if recipient else None
        info.diagnostic = _strip_type(_field_value(chosen.get("diagnostic-code")))
    return info


def _dsn_from_text(text: str, subject: str) -> DsnInfo:
    """What a plain-text bounce says, read with the usual MTA phrasings."""
    info = DsnInfo()
    # Bounce reports are short lines; capping them keeps the line regexes linear.
    text = "\n".join(line[:_MAX_REPORT_LINE] for line in text[:200_000].split("\n"))
    copy = _ORIGINAL_COPY.search(text)
    report = text[:copy.start()] if copy else text
    field_match = _TEXT_FIELD["action"].search(report)
    if field_match:
        info.action = _clean_header(field_match.group(1)).lower() or None
    recipient = (_TEXT_FIELD["final-recipient"].search(report)
                 or _TEXT_FIELD["original-recipient"].search(report))
    if recipient:
        info.final_recipient = _valid_addr(_strip_type(recipient.group(1)) or "")
    if not info.final_recipient:
        address = _ADDRESS_LINE.search(report)
        if address:
            info.final_recipient = _valid_addr(address.group(1) or address.group(2))
    diagnostic = _TEXT_FIELD["diagnostic-code"].search(report)
    if diagnostic:
        info.diagnostic = _strip_type(_clean_header(diagnostic.group(1)))
    else:
        line = _DIAGNOSTIC_LINE.search(report)
        if line:
            diagnostic = line.group(0)
            if diagnostic.rstrip().endswith(":"):
                # Exim: "SMTP error … after RCPT TO:<x>:" and the reply on the next line.
                following = report[line.end():].lstrip("\r\n").split("\n", 1)[0]
                diagnostic += " " + following
            info.diagnostic = _clean_header(diagnostic)[:500] or None
    status = _STATUS.search(info.diagnostic or "") or _STATUS.search(report)
    if status:
        info.status = status.group(1)
        if not info.diagnostic:
            start = report.rfind("\n", 0, status.start()) + 1
            end = report.find("\n", status.end())
            line = report[start:end if end >= 0 else len(report)]
            info.diagnostic = _clean_header(line)[:500] or None
    if not info.action:
        delayed = re.search(r"delay|retrasad|will (?:retry|keep trying)|still trying",
                            subject + "\n" + report, re.IGNORECASE)
        if (info.status and info.status.startswith("4")) or (not info.status and delayed):
            info.action = "delayed"
        else:
            info.action = "failed"
    return info


# --------------------------------------------------------------------------------------------
# Parsing entry points


def _parse_tree(raw: bytes, *, headersonly: bool = False) -> Message:
    """The parsed message; lines of garbage before the headers are skipped, and a header
    line folded without leading white space continues the header before it."""
    parser = BytesParser(policy=_POLICY_COMPAT)
    msg = parser.parsebytes(raw, headersonly=headersonly)
    if msg.keys():
        return _refolded(parser, msg, raw, headersonly=headersonly)
    rest = raw
    for _ in range(_LEADING_GARBAGE_LINES):
        newline = rest.find(b"\n")
        if newline < 0:
            break
        rest = rest[newline + 1:]
        if not rest.strip():
            break
        candidate = parser.parsebytes(rest, headersonly=headersonly)
        if candidate.keys():
            candidate = _refolded(parser, candidate, rest, headersonly=headersonly)
            candidate.defects.append(_LeadingGarbage())
            return candidate
    return msg


_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
_LIKELY_HEADER_LINE = re.compile(rb"[A-Za-z][A-Za-z0-9-]{0,60}[ \t]*:")
_HEADER_BLOCK_END = re.compile(rb"\r?\n\r?\n")
_MAX_HEADER_BLOCK = 256 * 1024


def _refolded(parser: BytesParser, msg: Message, raw: bytes, *, headersonly: bool) -> Message:
    """``msg`` read again when a line that is no header (nor blank) ended its headers early
    and more headers follow it before the blank line: as mature parsers do, such a line
    continues the header before it. Checked only when the parser saw that defect."""
    if not any(isinstance(d, email.errors.MissingHeaderBodySeparatorDefect)
               for d in msg.defects):
        return msg
    end = _HEADER_BLOCK_END.search(raw, 0, _MAX_HEADER_BLOCK)
    if end is None:
        return msg
    lines = raw[:end.start()].split(b"\n")
    out: list[bytes] = []
    broken = False
    more_headers = False
    for n, line in enumerate(lines):
        if _HEADER_LINE.match(line) or line[:1] in (b" ", b"\t") or (
                n == 0 and line.startswith(b"From ")):
            more_headers |= broken and bool(_LIKELY_HEADER_LINE.match(line))
            out.append(line)
        elif out:
            broken = True
            out.append(b" " + line)
    if not (broken and more_headers):
        return msg
    repaired = parser.parsebytes(b"\n".join(out) + raw[end.start():], headersonly=headersonly)
    if not repaired.keys():
        return msg
    repaired.defects.append(_BrokenFolding())
    return repaired


class _BrokenFolding(email.errors.MessageDefect):
    """A header line folded without leading white space was joined to the one before."""


class _LeadingGarbage(email.errors.MessageDefect):
    """Lines before the headers were skipped."""


def _coerce(raw: object) -> bytes:
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    try:
        return bytes(raw)  # type: ignore[arg-type]
    except Exception as exc:
        raise UnparseableMail(f"not bytes: {type(raw).__name__}") from exc


def extract_message_id(raw: bytes) -> str | None:
    """The Message-ID that parse_message would report, read from the headers only."""
    try:
        msg = _parse_tree(_coerce(raw), headersonly=True)
        return _message_id(_Headers(msg).first("message-id"))
    except Exception:  # a message without a readable id has none
        return None


def parse_message(raw: bytes, *, max_attachment_bytes: int) -> ParsedMail:
    """Read one raw message; raise UnparseableMail only when it has no headers at all."""
    data = _coerce(raw)
    if not data.strip():
        raise UnparseableMail("empty message")
    try:
        msg = _parse_tree(data)
        walk = True
    except Exception:  # parser crash: keep the headers, take the body as text
        try:
            msg = _parse_tree(data, headersonly=True)
        except Exception as exc:
            raise UnparseableMail(f"the parser failed: {exc!r}") from exc
        walk = False
    headers = _Headers(msg)
    if not headers:
        raise UnparseableMail("no headers")
    try:
        mail = _build(msg, headers, data, walk=walk, max_attachment_bytes=max_attachment_bytes)
    except Exception:  # an unforeseen failure: a degraded, headers-only result
        return _degraded(data, max_attachment_bytes=max_attachment_bytes)
    if not walk:
        mail.headers_defects.append(_DEGRADED)
    return mail


_DEGRADED = "parsed in degraded mode (headers and raw body only)"


def _degraded(data: bytes, *, max_attachment_bytes: int) -> ParsedMail:
    """Headers plus the undecoded body as text: what is left when the full read failed."""
    try:
        msg = _parse_tree(data, headersonly=True)
        headers = _Headers(msg)
        if not headers:
            raise UnparseableMail("no headers")
        mail = _build(msg, headers, data, walk=False, max_attachment_bytes=max_attachment_bytes)
    except UnparseableMail:
        raise
    except Exception as exc:
        raise UnparseableMail(f"the message could not be read: {exc!r}") from exc
    mail.headers_defects.append(_DEGRADED)
    return mail


def _build(msg: Message, headers: _Headers, data: bytes, *, walk: bool,
           max_attachment_bytes: int) -> ParsedMail:
    notes: list[str] = []
    _cap_headers(msg)
    mail = ParsedMail()

    ids = headers.all("message-id")
    mail.message_id = _message_id(ids[0]) if ids else None
    if not ids:
        notes.append("missing Message-ID")
    elif len(ids) > 1:
        notes.append("duplicate Message-ID headers; the first is used")
    elif mail.message_id is None:
        notes.append("unreadable Message-ID")

    hints = DeclaredCharsets(_declared_labels(msg))
    mail.from_name, mail.from_address, mail.from_header = _sender(headers, notes, hints)
    mail.to = _unique([a for _, a in _addresses(headers.all("to"), "to", notes)])
    mail.cc = _unique([a for _, a in _addresses(headers.all("cc"), "cc", notes)])
    delivered = (headers.all("delivered-to") + headers.all("x-original-to")
                 + headers.all("envelope-to"))
    mail.delivered_to = _unique([a for _, a in _addresses(delivered, "to", notes)])
    reply_to = _addresses(headers.all("reply-to")[:1], "reply-to", notes, hints)
    mail.reply_to = reply_to[0][1] if reply_to else None
    mail.subject = _subject(headers.first("subject"), notes, hints)
    mail.date = _date(headers.first("date"), notes)
    mail.in_reply_to = _message_ids(headers.all("in-reply-to"))
    mail.references = _message_ids(headers.all("references"))
    mail.authentication_results = [_repair_8bit(v).strip()
                                   for v in headers.all("authentication-results")]
    mail.received_spf = [_repair_8bit(v).strip() for v in headers.all("received-spf")]

    auto_submitted = headers.first("auto-submitted")
    mail.auto_submitted = _clean_header(auto_submitted).lower() if auto_submitted else None
    precedence = headers.first("precedence") or headers.first("x-precedence")
    mail.precedence = _clean_header(precedence).lower() if precedence else None

    walker = _Walker(max_attachment_bytes=max_attachment_bytes, notes=notes, hints=hints)
    if walk:
        walker.walk(msg)
    else:
        normalised = data.replace(b"\r\n", b"\n")
        body = normalised.split(b"\n\n", 1)[1] if b"\n\n" in normalised else b""
        walker.segments.append((_clean_body(decode_bytes(body, None, notes, "body", hints)),
                                None))
    texts = []
    htmls = []
    for plain, html in walker.segments:
        if plain is not None and (plain.strip() or not html):
            texts.append(plain)
        elif html is not None:
            texts.append(html_to_text(html))
        if html is not None:
            htmls.append(html)
    mail.text = "\n\n".join(t.strip("\n") for t in texts if t.strip()).strip("\n")
    mail.html = "\n".join(htmls)
    if b"\x00" in data:
        notes.append("NUL bytes removed")
    is_reply = bool(mail.in_reply_to or mail.references or _REPLY_SUBJECT.match(mail.subject)
                    or _SUBJECT_TOKEN.search(mail.subject))
    forwarded = _is_forward(mail.subject) or is_forward(mail.text, is_reply=is_reply)
    mail.new_text = mail.text if forwarded else strip_quoted(mail.text)
    mail.attachments = walker.attachments
    mail.oversized_attachments = walker.oversized

    _classify(mail, msg, headers, walker)
    mail.headers_defects = _unique(notes)[:_MAX_DEFECTS]
    return mail


# Where the sender is read from when there is no readable From, in order.
_SENDER_HEADERS = ("from", "reply-to", "sender", "return-path")


def _sender(headers: _Headers, notes: list[str],
            hints: DeclaredCharsets) -> tuple[str, str, str]:
    """(display name, address, header it came from): From, else Reply-To, Sender, Return-Path."""
    if len(headers.all("from")) > 1:
        notes.append("multiple From headers; the first is used")
    for name in _SENDER_HEADERS:
        values = headers.all(name)[:1]
        found = _addresses(values, name, notes, hints) if values else []
        if found:
            if name != "from":
                notes.append(f"sender taken from {name}")
            return found[0][0], found[0][1], name
        if name == "from":
            notes.append("unreadable From" if values else "missing From")
    return "", "", ""


def _declared_labels(msg: Message):
    """The charset labels the message's parts declare (the first parts only)."""
    for n, part in enumerate(msg.walk()):
        if n >= 20:
            return
        label = _param(part, "charset")
        if label:
            yield label


_REPLY_SUBJECT = re.compile(r"^\s*(?:re|aw|sv|antw|ref|resp)\s*:", re.IGNORECASE)
_SUBJECT_TOKEN = re.compile(r"\[#\d{1,18}\]")
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|rv|reenv(?:iar)?|tr|wg)\s*:", re.IGNORECASE)


def _is_forward(subject: str) -> bool:
    """A forward's quoted part is the content being shown, not an old conversation."""
    return bool(_FORWARD_SUBJECT.match(subject))


def _classify(mail: ParsedMail, msg: Message, headers: _Headers, walker: _Walker) -> None:
    """Set the auto-reply, mailer-daemon and bounce facts."""
    subject = mail.subject
    local_part = mail.from_address.split("@", 1)[0]
    mail.is_from_mailer_daemon = (
        local_part in _DAEMON_LOCALPARTS
        or local_part.startswith("microsoftexchange")
        or bool(_DAEMON_NAME.search(mail.from_name))
    )
    return_path = headers.first("return-path")
    null_sender = return_path is not None and return_path.strip() in {"<>", ""}

    auto = False
    if mail.auto_submitted and mail.auto_submitted.split(";", 1)[0].strip() != "no":
        auto = True
    if mail.precedence and mail.precedence.split(";", 1)[0].strip() in {
            "bulk", "list", "junk", "auto_reply", "auto-reply"}:
        auto = True
    for name in _AUTO_HEADERS:
        value = headers.first(name)
        if value is not None and value.strip().lower() not in {"no", "false", "0"}:
            auto = True
    if any(name in headers for name in _LIST_HEADERS):
        auto = True
    # A subject alone proves nothing: a hosting client may well ask about "Respuesta
    # automática: no funciona". It counts with Outlook's suppress hint or on a reply.
    suppress = {token.strip().lower()
                for value in headers.all("x-auto-response-suppress")
                for token in value.split(",")}
    is_reply = bool(mail.in_reply_to or mail.references)
    if (suppress & {"all", "oof"} and _AUTO_REPLY_SUBJECT_LOOSE.match(subject)) or (
            is_reply and _AUTO_REPLY_SUBJECT.match(subject)):
        auto = True
    ctype = _content_type(msg)
    report_type = (_param(msg, "report-type") or "").lower()
    is_report = ctype == "multipart/report" or walker.report
    if is_report or null_sender:
        auto = True

    dsn: DsnInfo | None = None
    if walker.delivery_status or (is_report and report_type == "delivery-status"):
        dsn = _dsn_from_report(walker.delivery_status)
        fallback = _dsn_from_text(mail.text, subject)
        for attribute in ("action", "status", "final_recipient", "diagnostic"):
            if getattr(dsn, attribute) is None:
                setattr(dsn, attribute, getattr(fallback, attribute))
    else:
        failed = headers.first("x-failed-recipients")
        bounce_subject = bool(_BOUNCE_SUBJECT.match(subject))
        status_seen = bool(_STATUS.search(mail.text[:20_000]))
        if (failed is not None
                or (mail.is_from_mailer_daemon and (bounce_subject or status_seen))
                or (bounce_subject and (auto or null_sender))):
            dsn = _dsn_from_text(mail.text, subject)
            if failed:
                recipients = _addresses([failed], "to", [])
                if recipients:
                    dsn.final_recipient = recipients[0][1]
    if dsn is not None:
        auto = True
        if dsn.original_message_id is None:
            dsn.original_message_id = _original_message_id(mail, headers, walker)
    mail.dsn = dsn
    mail.is_auto_reply = auto


def _original_message_id(mail: ParsedMail, headers: _Headers, walker: _Walker) -> str | None:
    """The Message-ID of the message that bounced, from wherever the bounce carries it."""
    for name in ("original-message-id", "x-original-message-id"):
        value = headers.first(name)
        if value:
            return _message_id(value)
    for embedded in walker.embedded_headers:
        if isinstance(embedded, Message):
            value = embedded.get("message-id")
            if value:
                found = _message_id(str(value))
                if found:
                    return found
        else:
            match = _TEXT_MESSAGE_ID.search(embedded)
            if match:
                return match.group(1)
    match = _TEXT_MESSAGE_ID.search(mail.text[:200_000])
    if match:
        return match.group(1)
    for ids in (mail.in_reply_to, mail.references):
        if ids:
            return ids[-1]
    return None
