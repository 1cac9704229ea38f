"""Stripping the quoted previous conversation and the signature from a reply's plain text.

Recognises how Gmail, Outlook, Thunderbird, Apple Mail (and the clients that copy them:
iOS, Android, Roundcube, Yahoo, Proton Mail) introduce the message being answered, in
Spanish and English, plus ``>``-quoted blocks at the end and the ``-- `` signature separator.
Pure text in, text out: no e-mail parsing here.
"""

from __future__ import annotations

import re

# Longer lines are never an attribution or a header line; skipping them keeps the scan linear.
_MAX_MARKER_LINE = 400


def _marker(pattern: str) -> re.Pattern[str]:
    """A pattern of the lines that mark quoted text; mail clients and languages write them in
    any case."""
    return re.compile(pattern, re.IGNORECASE)


# "On <date>, <name> wrote:" and its translations; clients wrap it onto two or three lines.
_ATTRIBUTION_START = _marker(r"^\s*(?:on|el|em|le|am|il|op|o)\s")
_ATTRIBUTION_END = _marker(
    r"(?:\bwrote|\bescribi[óo]|\bescribiu|\bva escriure|\bescreveu|\ba [ée]crit|\bha scritto"
    r"|\bschrieb\b.*|\bschreef\b.*)\s*:\s*$",
)
# An attribution carries a date (a four-digit year or a numeric d/m/y) and a time.
_HAS_DATE = re.compile(r"\b(?:19|20)\d\d\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")
_HAS_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
# A loose "<name> wrote:" right above a trailing quote block (no date needed there).
_LOOSE_ATTRIBUTION = _marker(
    r"(?:wrote|escribi[óo]|escribiu|escreveu|écrit|schrieb|said|dijo|writes|escribe)\b.*:\s*$"
    r"|@.*:\s*$",
)

_ORIGINAL_MESSAGE = _marker(
    r"^\s*-{2,}\s*(?:original message|mensaje original|missatge original|mensagem original"
    r"|message d'origine|urspr[üu]ngliche nachricht|original[- ]nachricht"
    r"|messaggio originale)\s*-{2,}\s*$",
)
_FORWARDED = _marker(
    r"^\s*(?:-*\s*(?:forwarded message|mensaje reenviado|missatge reenviat"
    r"|mensagem encaminhada|message transf[ée]r[ée]|weitergeleitete nachricht"
    r"|messaggio inoltrato|doorgestuurd bericht)\s*-*"
    r"|begin forwarded message:|inicio del mensaje reenviado:|comienzo del mensaje reenviado:)\s*$",
)
# A word each marker of _FORWARDED and _ORIGINAL_MESSAGE holds.
_FORWARD_WORDS = ("forward", "reenvia", "reenviat", "encaminhada", "transf", "weitergeleitet",
                  "inoltrato", "doorgestuurd", "original", "origine", "ursprüngliche",
                  "ursprungliche")
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
# Outlook's header block; the labels may be bold ("*De:*") when derived from HTML.
_HEADER_FROM = _marker(r"^\s*\*?(?:from|de|von|da|van)\s?\*?\s?:\*?\s*\S")
_HEADER_OTHER = _marker(
    r"^\s*\*?(?:sent|enviado(?: el)?|date|fecha|to|para|subject|asunto|cc|bcc|cco"
    r"|importance|importancia|gesendet|an|betreff|datum|envoy[ée]|objet|[àa])\s?\*?\s?:",
)
_SIGNATURE = re.compile(r"^--[ \t]?$")
_MOBILE_SIGNATURE = _marker(
    r"^\s*(?:sent from my .{1,40}|enviado desde mi .{1,40}|sent from (?:yahoo mail|outlook)"
    r".{0,40}|enviado desde (?:yahoo mail|outlook).{0,40}|get outlook for .{1,20}"
    r"|obtener outlook para .{1,20}|sent with proton mail.{0,40}"
    r"|enviado con (?:el correo electrónico seguro de )?proton mail.{0,40})$",
)


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _attribution_span(lines: list[str], index: int) -> int:
    """How many lines form an attribution starting at ``index`` (0 when none does)."""
    first = lines[index]
    if len(first) > _MAX_MARKER_LINE or not _ATTRIBUTION_START.match(first):
        return 0
    parts: list[str] = []
    for span in range(1, 4):
        line = lines[index + span - 1] if index + span - 1 < len(lines) else ""
        if not line.strip() or _is_quoted(line) or len(line) > _MAX_MARKER_LINE:
            return 0
        parts.append(line.strip())
        joined = " ".join(parts)
        if _ATTRIBUTION_END.search(joined):
            if _HAS_DATE.search(joined) and _HAS_TIME.search(joined):
                return span
            return 0
    return 0


def _header_block_at(lines: list[str], index: int) -> bool:
    """Whether an Outlook-style "From: / Sent: / To: / Subject:" block starts at ``index``."""
    if len(lines[index]) > _MAX_MARKER_LINE or not _HEADER_FROM.match(lines[index]):
        return False
    others = 0
    for line in lines[index + 1:index + 8]:
        if not line.strip():
            continue
        if len(line) <= _MAX_MARKER_LINE and _HEADER_OTHER.match(line):
            others += 1
            if others >= 2:
                return True
        else:
            break
    return False


def _after_forward_marker(lines: list[str], index: int) -> bool:
    """Whether ``index`` is within a few lines after a "Forwarded message" marker."""
    for line in lines[max(0, index - 3):index]:
        if len(line) <= _MAX_MARKER_LINE and _FORWARDED.match(line):
            return True
    return False


def _bottom_posted(lines: list[str], start: int) -> bool:
    """Whether unquoted text follows the quoted block beginning at ``start`` (an answer below)."""
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or not _is_quoted(lines[i]):
        return False
    while i < len(lines) and (_is_quoted(lines[i]) or not lines[i].strip()):
        i += 1
    for j in range(i, len(lines)):
        if _SIGNATURE.match(lines[j]):
            return False
        if lines[j].strip() and not _MOBILE_SIGNATURE.match(lines[j]):
            return True
    return False


def _quote_start(lines: list[str]) -> int | None:
    """The index where the quoted previous conversation begins, if any."""
    for i, line in enumerate(lines):
        if not line.strip() or _is_quoted(line) or len(line) > _MAX_MARKER_LINE:
            continue
        if _SIGNATURE.match(line):
            return None
        span = _attribution_span(lines, i)
        if span:
            if _bottom_posted(lines, i + span):
                continue
            return i
        if _ORIGINAL_MESSAGE.match(line):
            return i
        if _UNDERSCORES.match(line):
            following = [j for j in range(i + 1, min(len(lines), i + 4)) if lines[j].strip()]
            if following and _header_block_at(lines, following[0]):
                return i
            continue
        if _header_block_at(lines, i) and not _after_forward_marker(lines, i):
            return i
    return None


def _drop_trailing_blank(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def _drop_trailing_quote(lines: list[str]) -> list[str]:
    lines = _drop_trailing_blank(lines)
    if not lines or not _is_quoted(lines[-1]):
        return lines
    start = len(lines)
    while start and (_is_quoted(lines[start - 1]) or not lines[start - 1].strip()):
        start -= 1
    lines = _drop_trailing_blank(lines[:start])
    if lines:
        last = lines[-1]
        if len(last) <= _MAX_MARKER_LINE and (
            _LOOSE_ATTRIBUTION.search(last) or _attribution_span(lines, len(lines) - 1)
        ):
            lines = lines[:-1]
        elif len(lines) >= 2 and _attribution_span(lines, len(lines) - 2) == 2:
            lines = lines[:-2]
    return lines


def _drop_signature(lines: list[str]) -> list[str]:
    seen_content = False
    for i, line in enumerate(lines):
        if _SIGNATURE.match(line) and seen_content:
            return lines[:i]
        if line.strip():
            seen_content = True
    return lines


def _drop_mobile_signature(lines: list[str]) -> list[str]:
    lines = _drop_trailing_blank(lines)
    if lines and _MOBILE_SIGNATURE.match(lines[-1]):
        lines = _drop_trailing_blank(lines[:-1])
    return lines


def is_forward(text: str, *, is_reply: bool) -> bool:
    """Whether ``text`` forwards another message, which is then the request, not a quote.

    A "Forwarded message" marker (in any of the languages above) says so; an "Original
    message" marker ("----- Original Nachricht -----", "Message d'origine") does in a message
    that answers nothing (no In-Reply-To or References): a reply would carry them.
    """
    lowered = text.lower()
    if not any(word in lowered for word in _FORWARD_WORDS):
        return False  # the usual case, decided at C speed
    for line in text.split("\n"):
        if len(line) > _MAX_MARKER_LINE:
            continue
        if _FORWARDED.match(line) or (not is_reply and _ORIGINAL_MESSAGE.match(line)):
            return True
    return False


def strip_quoted(text: str) -> str:
    """Return the new part of a reply: ``text`` without the quoted conversation or signature.

    The result is trimmed of surrounding blank space. When nothing is removed, or nothing
    would be left (the whole text is a quote or a signature), ``text`` is returned unchanged:
    an answer is never lost by stripping.
    """
    if not text or not text.strip():
        return text
    original = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = original
    start = _quote_start(lines)
    if start is not None:
        lines = lines[:start]
    lines = _drop_signature(lines)
    lines = _drop_trailing_quote(lines)
    lines = _drop_mobile_signature(lines)
    while lines and not lines[0].strip():
        lines = lines[1:]
    result = "\n".join(line.rstrip() for line in lines).strip()
    if not result or result == "\n".join(line.rstrip() for line in original).strip():
        return text
    return result
