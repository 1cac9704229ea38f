"""Absolute links to the desk's pages, for mail."""

from __future__ import annotations

from django.conf import settings


def public_url(path: str) -> str:
    """``path`` (a site path such as /portal/) under XUALA_PUBLIC_URL."""
    return settings.XUALA_PUBLIC_URL.rstrip("/") + path
