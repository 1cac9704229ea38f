"""The one shape of a form action in the interface layers: call a service, then tell the
user how it went."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages


def perform(request, action: Callable[[], object], *, errors: type[Exception] | tuple,
            error_text: Callable[[Exception], str], success: str) -> bool:
    """Run ``action``; on one of ``errors`` show its text, else ``success``. True if it ran."""
    try:
        action()
    except errors as exc:
        messages.error(request, error_text(exc))
        return False
    messages.success(request, success)
    return True
