"""File names safe to store and show: the one rule for every door (mail, client area, console).

A name from outside may carry a path, control characters, bidi overrides that make
"gpj.exe" pass for "exe.jpg", characters Windows refuses, or a reserved device name; each is
removed or defused here, and a name too long is shortened from the middle so the extension
(what opens the file) is kept.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["DEFAULT_FILENAME", "MAX_FILENAME", "safe_filename"]

MAX_FILENAME = 150
DEFAULT_FILENAME = "attachment.bin"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def _without_controls(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (undecodable bytes) become "?"
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


_WINDOWS_RESERVED = re.compile(r"^(?:con|prn|aux|nul|com[0-9]|lpt[0-9]|clock\$)(?:\..*)?$",
                               re.IGNORECASE)
_FILENAME_FORBIDDEN = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_EXTENSION_FOR_TYPE = {
    "application/pdf": ".pdf",
    "application/ms-tnef": ".dat",
    "application/zip": ".zip",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "message/rfc822": ".eml",
    "message/delivery-status": ".txt",
    "text/calendar": ".ics",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/rfc822-headers": ".txt",
    "text/csv": ".csv",
}


_DEFAULT_NAME_FOR_TYPE = {
    "text/calendar": "invite.ics",
    "message/rfc822": "message.eml",
    "message/delivery-status": "delivery-status.txt",
    "message/disposition-notification": "read-receipt.txt",
    "text/rfc822-headers": "original-headers.txt",
}


def safe_filename(name: str | None, content_type: str = "application/octet-stream") -> str:
    """A file name safe to store and show: no path, no control characters, at most 150 chars.

    The extension is kept when the name is shortened; an empty or unusable name becomes a
    name for the content type ("invite.ics", "attachment.pdf"; "attachment.bin" when unknown).
    """
    extension = _EXTENSION_FOR_TYPE.get(content_type)
    default = _DEFAULT_NAME_FOR_TYPE.get(
        content_type, "attachment" + extension if extension else DEFAULT_FILENAME)
    if not name:
        return default
    name = unicodedata.normalize("NFC", _without_controls(str(name)))
    # Format characters (bidi overrides) let "gpj.exe" pass for "exe.jpg": drop them.
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Cs"})
    name = name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    name = _FILENAME_FORBIDDEN.sub("_", name)
    name = _SPACES.sub(" ", name).strip().lstrip(".").rstrip(". ")
    if not name or not name.strip("._ -"):
        return default
    if _WINDOWS_RESERVED.match(name):
        name = "_" + name
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 16:
            name = stem[:MAX_FILENAME - len(ext) - 1].rstrip(". ") + "." + ext
        else:
            name = name[:MAX_FILENAME].rstrip(". ")
    return name or default

