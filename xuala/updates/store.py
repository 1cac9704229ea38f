"""The runs' images as files: screenshots and diff images under ``XUALA_UPDATE_IMAGES_DIR``.

A node sends each image as base64 PNG inside its result; the desk writes it once, as
``<site>/<run>/<name>.png``, and keeps that relative name on the check. Nothing but a PNG of
at most ``MAX_BYTES`` is written, and no name leaves the store.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import shutil
from pathlib import Path

from django.conf import settings

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 4 * 1024 * 1024
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,80}$")


class ImageRefused(ValueError):
    """Not a PNG, too large, or not base64."""


def root() -> Path:
    return Path(settings.XUALA_UPDATE_IMAGES_DIR)


def png_decode(encoded: str) -> bytes:
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ImageRefused(f"not base64: {exc}") from None
    if not data.startswith(PNG_SIGNATURE):
        raise ImageRefused("not a PNG image")
    if len(data) > MAX_BYTES:
        raise ImageRefused(f"{len(data)} bytes; at most {MAX_BYTES}")
    return data


def image_save(*, site_id: int, run_id: int, name: str, data: bytes) -> str:
    """Write one PNG of a run (atomically) and return its name in the store."""
    if not _NAME.match(name):
        raise ImageRefused(f"bad image name {name!r}")
    relative = f"{int(site_id)}/{int(run_id)}/{name}.png"
    path = root() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return relative


def run_images_drop(*, site_id: int, run_id: int) -> None:
    """Remove a run's images (its result could not be recorded)."""
    shutil.rmtree(root() / str(int(site_id)) / str(int(run_id)), ignore_errors=True)


def image_path(relative: str) -> Path | None:
    """The file of a stored image, or None (missing, or a name outside the store)."""
    if not relative:
        return None
    base = root().resolve()
    path = (base / relative).resolve()
    if base not in path.parents or not path.is_file():
        return None
    return path


def image_bytes(relative: str) -> bytes | None:
    path = image_path(relative)
    return path.read_bytes() if path is not None else None


def slug(text: str) -> str:
    """A page path as part of a file name: "/shop/" -> "shop", "/" -> "home"."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]
    return cleaned or "home"
