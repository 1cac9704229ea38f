"""Decoding the text of a message whose charset is declared wrongly, partly or not at all.

Pure Python; no database. ``decode_bytes`` always returns text, trying in order:

1. the charset the part declares (ISO-2022-JP with its extended variants, see below);
2. ISO-2022-JP when the bytes carry its escape sequences and nothing declares it;
3. UTF-8, the charset of nearly all mail: most messages stop here, so nothing below costs
   the usual message anything;
4. line by line, each line that is not UTF-8 by :func:`decode_unknown`: the charsets the
   rest of the message declares (``hints``), Windows-1252 for Latin text (isolated accented
   letters), then the ``charset-normalizer`` detector, then Windows-1252, then Latin-1. A
   body in UTF-8 with a few lines pasted in GB2312 keeps both readable.

Raw 8-bit header values and file names (which declare nothing) go through
:func:`decode_unknown` directly, after UTF-8.

ISO-2022-JP as Japanese mailers send it carries the CP932 (NEC and IBM) extensions such as
①, which the strict codec refuses: ``iso2022_jp_2``, ``iso2022_jp_ext`` and ``iso2022_jp_3``
are tried, then the JIS bytes are mapped to Shift_JIS and decoded as CP932, which holds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["DeclaredCharsets", "codec", "decode_bytes", "decode_unknown"]

# Labels mailers use that Python does not know by that name (or a superset to prefer).
_CHARSET_ALIASES = {
    "latin-9": "iso-8859-15",
    "latin-2": "iso-8859-2",
    "utf8mb4": "utf-8",
    "ks_c_5601-1987": "cp949",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "gb2312": "gbk",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "x-sjis": "shift_jis",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
}
_LATIN1_LABELS = frozenset({"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1",
                            "cp819", "ibm819", "iso-ir-100", "x-user-defined"})
_NO_CHARSET_LABELS = frozenset({"us-ascii", "ascii", "ansi_x3.4-1968", "646", "unknown-8bit",
                                "x-unknown"})
_ISO2022JP_LABELS = frozenset({"iso-2022-jp", "iso2022-jp", "iso2022_jp", "csiso2022jp",
                               "iso-2022-jp-1", "iso-2022-jp-2", "iso-2022-jp-3",
                               "iso-2022-jp-ext", "iso-2022-jp-2004"})
# Candidates the detector chooses among: the charsets support mail really comes in. Other
# single-byte Latin tables are left out on purpose: on short text they win over
# Windows-1252 by chance ("daños" read as "dańos").
_DETECTABLE = ["cp1252", "gb18030", "big5", "cp932", "euc_jp", "cp949", "cp1251", "koi8_r"]


def codec(charset: str | None) -> str | None:
    """The Python codec for a declared charset label, or None when unusable."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower()
    if not label or len(label) > 40:
        return None
    # WHATWG maps these labels to windows-1252 (a superset): mail says Latin-1 but sends “”.
    if label in _LATIN1_LABELS:
        return "windows-1252"
    if label in _NO_CHARSET_LABELS:
        return None
    if label in _ISO2022JP_LABELS:
        return "iso-2022-jp"
    return _CHARSET_ALIASES.get(label, label)


class DeclaredCharsets:
    """The charsets a message declares anywhere, read only when first needed."""

    def __init__(self, read: Iterable[str | None] | None = None):
        self._read = read
        self._codecs: list[str] | None = None

    def __iter__(self):
        if self._codecs is None:
            found = (codec(label) for label in (self._read or ()))
            self._codecs = list(dict.fromkeys(c for c in found if c and c != "utf-8"))
            self._read = None
        return iter(self._codecs)


_NO_HINTS = DeclaredCharsets()


def decode_bytes(data: bytes, charset: str | None, notes: list[str] | None = None,
                 what: str = "text", hints: DeclaredCharsets = _NO_HINTS) -> str:
    """Decode ``data`` (see the module docstring for the order); never raises."""
    declared = codec(charset)
    if declared:
        try:
            return _decode_iso2022jp(data) if declared == "iso-2022-jp" else data.decode(declared)
        except LookupError:
            _note(notes, f"unknown charset {charset!r} in {what}")
        except (UnicodeError, ValueError, TypeError):
            _note(notes, f"{what} is not valid {charset!r}")
    if b"\x1b$" in data or b"\x1b(" in data:
        try:
            text = _decode_iso2022jp(data)
        except UnicodeError:
            pass
        else:
            _note(notes, f"{what} decoded as iso-2022-jp")
            return text
    try:
        text = data.decode("utf-8")
    except UnicodeError:
        pass
    else:
        if declared:
            _note(notes, f"{what} decoded as utf-8")
        return text
    return _decode_lines(data, notes, what, hints)


def _note(notes: list[str] | None, text: str) -> None:
    if notes is not None:
        notes.append(text)


def _decode_lines(data: bytes, notes: list[str] | None, what: str,
                  hints: DeclaredCharsets) -> str:
    """Text that is not UTF-8 as a whole: its UTF-8 lines as such, the others together."""
    lines = data.splitlines(keepends=True)
    decoded: list[str | None] = []
    for line in lines:
        try:
            decoded.append(line.decode("utf-8"))
        except UnicodeError:
            decoded.append(None)
    others = [line for line, text in zip(lines, decoded, strict=True) if text is None]
    damaged = _damaged_utf8(b"".join(others))
    if damaged is not None:
        _note(notes, f"{what}: invalid UTF-8 sequences replaced")
        return data.decode("utf-8", errors="replace")
    found = _charset_of(b"".join(others), hints)
    mixed = any(text is not None and not text.isascii() for text in decoded)
    if mixed:
        _note(notes, f"{what}: lines not in UTF-8 decoded as {found or 'latin-1'}")
    else:
        _note(notes, f"{what} decoded as {found or 'latin-1'}")
    out = []
    for line, text in zip(lines, decoded, strict=True):
        if text is None:
            text = _decode_as(line, found)
        out.append(text)
    return "".join(out)


def _decode_as(data: bytes, charset: str | None) -> str:
    if charset:
        try:
            return data.decode(charset)
        except UnicodeError:
            pass
    try:
        return data.decode("windows-1252")
    except UnicodeError:
        return data.decode("latin-1")


def decode_unknown(data: bytes, notes: list[str] | None = None, what: str = "header",
                   hints: DeclaredCharsets = _NO_HINTS) -> str:
    """Decode 8-bit text that declares no charset (a raw header, a raw file name)."""
    try:
        text = data.decode("utf-8")
    except UnicodeError:
        pass
    else:
        _note(notes, f"raw 8-bit {what} read as utf-8")
        return text
    found = _charset_of(data, hints)
    _note(notes, f"raw 8-bit {what} read as {found or 'latin-1'}")
    return _decode_as(data, found)


def _damaged_utf8(data: bytes) -> str | None:
    """``data`` as UTF-8 with replacements, when that keeps more characters than it loses.

    A truncated or damaged sequence in UTF-8 text costs one character; Latin-1 or CJK text
    read as UTF-8 loses nearly every character instead.
    """
    text = data.decode("utf-8", errors="replace")
    lost = text.count("\ufffd")
    kept = len(text) - len(text.encode("ascii", "ignore")) - lost
    return text if kept > 0 and kept >= lost else None


# Fewer 8-bit bytes than this say too little for the detector (it guesses at random).
_MIN_DETECTABLE = 6
_HIGH_RUN = re.compile(rb"[\x80-\xff]{2,}")
_LATIN_LETTER = re.compile(rb"[\xc0-\xff]")


def _charset_of(data: bytes, hints: DeclaredCharsets) -> str | None:
    """The charset to read ``data`` (not UTF-8) with: a declared one that reads it, Windows-1252
    for Latin text, else the detector's guess; None when only Latin-1 is left."""
    for hint in hints:
        try:
            data.decode(hint)
        except (LookupError, UnicodeError):
            continue
        return hint
    high = sum(1 for byte in data if byte >= 0x80)
    if not _HIGH_RUN.search(data) and len(_LATIN_LETTER.findall(data)) == high:
        return "windows-1252"  # accented letters one by one: Spanish, French, German
    guess = _detect(data) if high >= _MIN_DETECTABLE else None
    if guess:
        return guess
    try:
        data.decode("windows-1252")
    except UnicodeError:
        return None
    return "windows-1252"


def _detect(data: bytes) -> str | None:
    from charset_normalizer import from_bytes  # imported here: only odd mail needs it

    best = from_bytes(data, cp_isolation=_DETECTABLE).best()
    return best.encoding if best is not None else None


# ---------------------------------------------------------------- ISO-2022-JP

_ISO2022JP_VARIANTS = ("iso-2022-jp", "iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_3")
_ESCAPE = re.compile(rb"\x1b(\$@|\$B|\$\(D|\(B|\(J|\(I)")


def _decode_iso2022jp(data: bytes) -> str:
    """ISO-2022-JP by its strict codec, its extended variants, then as CP932; raises
    UnicodeError when none reads it."""
    for variant in _ISO2022JP_VARIANTS:
        try:
            return data.decode(variant)
        except UnicodeError:
            continue
    return _jis_to_sjis(data).decode("cp932")


def _jis_to_sjis(data: bytes) -> bytes:
    """The Shift_JIS bytes of ISO-2022-JP text (JIS X 0208 rows, NEC's row 13 included)."""
    out = bytearray()
    mode = b"(B"
    pos = 0
    for match in _ESCAPE.finditer(data):
        out += _jis_run(data[pos:match.start()], mode)
        mode = match.group(1)
        pos = match.end()
    out += _jis_run(data[pos:], mode)
    return bytes(out)


def _jis_run(chunk: bytes, mode: bytes) -> bytes:
    if mode == b"(I":  # half-width katakana
        return bytes(b + 0x80 if 0x21 <= b <= 0x5F else b for b in chunk)
    if mode not in (b"$@", b"$B"):
        return chunk
    out = bytearray()
    for n in range(0, len(chunk) - 1, 2):
        j1, j2 = chunk[n], chunk[n + 1]
        if not (0x21 <= j1 <= 0x7E and 0x21 <= j2 <= 0x7E):
            raise UnicodeError("not a JIS X 0208 pair")
        s1 = (j1 + 1) // 2 + (0x70 if j1 <= 0x5E else 0xB0)
        s2 = j2 + (0x1F if j1 % 2 else 0x7E)
        if j1 % 2 and s2 >= 0x7F:
            s2 += 1
        out += bytes((s1, s2))
    if len(chunk) % 2:
        out += chunk[-1:]
    return bytes(out)
