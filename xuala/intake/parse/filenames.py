"""Attachment file names made safe: no paths, no control characters, no reserved names.

A name from a message is untrusted: it is cut to MAX_FILENAME, stripped of anything a
file system or a browser would read as a path or a device, and given an extension that
matches its content type when it has none.
"""

from __future__ import annotations

import re
import unicodedata

from xuala.intake.parse.limits import DEFAULT_FILENAME, MAX_FILENAME
from xuala.intake.parse.words import _SPACES, _clean_body

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
    name = unicodedata.normalize("NFC", _clean_body(str(name)))
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
