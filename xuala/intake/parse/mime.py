"""The MIME walk: bodies and attachments read from the tree of a message.

The tree is the compat32 policy's (raw header strings, no lazy parse that raises); parts
are read up to MAX_PARTS and MAX_DEPTH, MIME headers cut to MAX_MIME_HEADER, and every
damaged part is still read as far as it goes, with a note in the defects.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import re
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from io import BytesIO

from xuala.core.files import safe_filename
from xuala.intake.charsets import DeclaredCharsets, decode_bytes
from xuala.intake.parse.headers import _subject
from xuala.intake.parse.limits import (
    MAX_DEPTH,
    MAX_HEADER_VALUE,
    MAX_MIME_HEADER,
    MAX_PARTS,
    NO_HINTS,
    POLICY_COMPAT,
)
from xuala.intake.parse.parsed import ParsedAttachment
from xuala.intake.parse.words import (
    _b_decode,
    _clean_body,
    _has_surrogates,
    _repair_8bit,
    decode_words,
    unflow,
)


def _cap_headers(part: Message) -> None:
    """Cut over-long header values in place, keeping their order (see MAX_MIME_HEADER).

    The list is rewritten directly: the public way (delete by name, set_raw) costs a scan of
    every header per name, quadratic on the thousands of headers a hostile message carries.
    """
    headers = getattr(part, "_headers", None)
    if not isinstance(headers, list):
        return
    if not any(len(value) > MAX_MIME_HEADER for _, value in headers if isinstance(value, str)):
        return
    part._headers = [
        (name, value[:MAX_MIME_HEADER if name.lower().startswith("content-")
                     else MAX_HEADER_VALUE] if isinstance(value, str) else value)
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
                  hints: DeclaredCharsets = NO_HINTS) -> str | None:
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
            BytesGenerator(out, mangle_from_=False, policy=POLICY_COMPAT).flatten(sub)
            chunks.append(out.getvalue())
        except Exception:  # an embedded message the generator cannot write is left out
            chunks.append(b"")
    return b"\n".join(chunks)


class _Walker:
    """Collects body segments and attachments from a MIME tree."""

    def __init__(self, *, max_attachment_bytes: int, notes: list[str],
                 parts: list[int] | None = None, hints: DeclaredCharsets = NO_HINTS):
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
        if depth > MAX_DEPTH:
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
        """Count a part about to be read (its headers capped); False past MAX_PARTS."""
        self.parts[0] += 1
        if self.parts[0] > MAX_PARTS:
            if self.parts[0] == MAX_PARTS + 1:
                self.notes.append(f"more than {MAX_PARTS} MIME parts; the rest are ignored")
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
            return BytesParser(policy=POLICY_COMPAT).parsebytes(header + body)
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
