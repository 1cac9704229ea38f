"""Header access: addresses, Message-IDs, the subject and the date of a message.

Values go through ``email.policy.default``'s header registry when it is safe (short,
few) and through linear compat32-style readers otherwise, so that no header makes the
parse worse than linear; a plain address is read directly (the registry agrees on it,
tests/intake/test_parse.py proves it on the corpus).
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime
from email.message import Message

from xuala.intake.charsets import DeclaredCharsets
from xuala.intake.parse.limits import (
    MAX_ADDRESS_VALUES,
    MAX_HEADER_VALUE,
    MAX_REGISTRY_VALUE,
    NO_HINTS,
    POLICY_DEFAULT,
)
from xuala.intake.parse.words import (
    _HEADER_CONTROL,
    _clean_header,
    _has_surrogates,
    _repair_8bit,
    decode_words,
)

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
            if len(value) > MAX_HEADER_VALUE:
                value = value[:MAX_HEADER_VALUE]
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
               hints: DeclaredCharsets = NO_HINTS) -> list[tuple[str, str]]:
    """(display name, lower-cased addr-spec) pairs from the values of an address header."""
    found: list[tuple[str, str]] = []
    if len(values) > MAX_ADDRESS_VALUES:
        notes.append(f"{len(values)} {name} headers; the first {MAX_ADDRESS_VALUES} are read")
    for raw in values[:MAX_ADDRESS_VALUES]:
        value = _repair_8bit(raw, notes, name, hints)
        value = _HEADER_CONTROL.sub(" ", value)
        pairs: list[tuple[str, str]] | None = _plain_address(value)
        if pairs is None and len(value) <= MAX_REGISTRY_VALUE:
            try:
                header = POLICY_DEFAULT.header_factory(name, value)
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


def _subject(value: str | None, notes: list[str], hints: DeclaredCharsets = NO_HINTS) -> str:
    if value is None:
        return ""
    value = _repair_8bit(value, notes, "Subject", hints)
    if len(value) > MAX_REGISTRY_VALUE:
        return _clean_header(decode_words(value, notes))
    try:
        header = POLICY_DEFAULT.header_factory("subject", _HEADER_CONTROL.sub(" ", value))
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
