"""Text cleaning and RFC 2047 encoded words, tolerant of what mailers really send.

Decoding never fails: an unknown charset, a broken encoded word or raw 8-bit text is
read with the fallbacks of ``xuala.intake.charsets`` and noted for the agent; control
characters are removed from what an agent will read.
"""

from __future__ import annotations

import base64
import binascii
import re

from xuala.intake.charsets import DeclaredCharsets, decode_bytes, decode_unknown
from xuala.intake.parse.limits import NO_HINTS

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
                 hints: DeclaredCharsets = NO_HINTS) -> str:
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
                 hints: DeclaredCharsets = NO_HINTS) -> str:
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
