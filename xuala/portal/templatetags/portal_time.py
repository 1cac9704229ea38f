"""Template filters that show instants in the policy's time zone (where the promises are made)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import formats

from xuala.desk.texts import local_time
from xuala.policy.selectors import policy_active

register = template.Library()


@register.filter
def policy_long(value: datetime | None) -> str:
    """"jueves 26 noviembre 2026, 12:00 (CET)": the form the acknowledgement e-mail uses."""
    if not value:
        return ""
    return local_time(value, policy_active())


@register.filter
def policy_short(value: datetime | None) -> str:
    """A compact local date and time for tables and message headers."""
    if not value:
        return ""
    local = value.astimezone(policy_active().calendar.tz)
    return formats.date_format(local, "DATETIME_FORMAT")
