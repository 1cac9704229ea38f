"""Parsing one message: the entry points that build a ParsedMail from raw bytes.

``parse_message`` returns a ParsedMail for every input with at least one header and
raises UnparseableMail (and nothing else) otherwise; a message whose MIME structure
cannot be built is returned in degraded mode (headers and raw body).
"""

from __future__ import annotations

import email.errors
import re
from email.message import Message
from email.parser import BytesParser

from xuala.core.html import html_to_text
from xuala.intake.charsets import DeclaredCharsets, decode_bytes
from xuala.intake.parse.bounces import (
    _AUTO_HEADERS,
    _AUTO_REPLY_SUBJECT,
    _AUTO_REPLY_SUBJECT_LOOSE,
    _BOUNCE_SUBJECT,
    _DAEMON_LOCALPARTS,
    _DAEMON_NAME,
    _LIST_HEADERS,
    _STATUS,
    _TEXT_MESSAGE_ID,
    _dsn_from_report,
    _dsn_from_text,
)
from xuala.intake.parse.headers import (
    _addresses,
    _date,
    _Headers,
    _message_id,
    _message_ids,
    _subject,
    _unique,
)
from xuala.intake.parse.limits import LEADING_GARBAGE_LINES, MAX_DEFECTS, POLICY_COMPAT
from xuala.intake.parse.mime import _cap_headers, _content_type, _param, _Walker
from xuala.intake.parse.parsed import DsnInfo, ParsedMail, UnparseableMail
from xuala.intake.parse.words import _clean_body, _clean_header, _repair_8bit
from xuala.intake.quotes import is_forward, strip_quoted


def _parse_tree(raw: bytes, *, headersonly: bool = False) -> Message:
    """The parsed message; lines of garbage before the headers are skipped, and a header
    line folded without leading white space continues the header before it."""
    parser = BytesParser(policy=POLICY_COMPAT)
    msg = parser.parsebytes(raw, headersonly=headersonly)
    if msg.keys():
        return _refolded(parser, msg, raw, headersonly=headersonly)
    rest = raw
    for _ in range(LEADING_GARBAGE_LINES):
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
    mail.headers_defects = _unique(notes)[:MAX_DEFECTS]
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
