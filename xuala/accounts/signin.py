"""One spelling of a sign-in address: what django-axes counts and what authentication sees."""

from __future__ import annotations

from django.conf import settings


def username_normalise(value) -> str:
    """An address as the desk stores it: surrounding white space gone, lower case."""
    return str(value or "").strip().lower()


def axes_username(request, credentials=None) -> str:
    """django-axes' AXES_USERNAME_CALLABLE: every spelling of one address counts as one.

    Without it ``x@dominio.es``, ``X@Dominio.ES`` and `` x@dominio.es `` each got their own
    five failures, and the right password under another case signed in while locked.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials and credentials.get(field) is not None:
        return username_normalise(credentials.get(field))
    data = getattr(request, "data", None) or getattr(request, "POST", {}) or {}
    try:
        return username_normalise(data.get(field))
    except AttributeError:
        return ""
