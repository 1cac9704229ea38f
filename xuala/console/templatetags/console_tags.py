"""Template helpers of the agent console."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from xuala.console.display import clock_view, decision_label

register = template.Library()


@register.simple_tag
def clock(ticket, now):
    """The ticket's clock as a span: time left to due, "overdue by …", "paused"…"""
    view = clock_view(ticket, now)
    return format_html('<span class="clock clock-{}">{}</span>', view.state, view.text)


@register.filter
def decision(value):
    return decision_label(value)


@register.filter
def fast_select(field):
    """A ChoiceField's <select>, drawn directly: Django's widget templates cost several
    milliseconds for the queue's three filters on every page view."""
    from django.utils.html import format_html, format_html_join

    current = "" if field.value() is None else str(field.value())
    options = format_html_join("", '<option value="{}"{}>{}</option>', (
        (value, " selected" if str(value) == current else "", label)
        for value, label in field.field.choices))
    return format_html('<select name="{}" id="{}">{}</select>', field.html_name,
                       field.auto_id, options)


@register.filter
def fast_textarea(field):
    """A CharField's <textarea>, drawn directly (see fast_select)."""
    from django.utils.html import format_html

    attrs = field.field.widget.attrs
    return format_html('<textarea name="{}" id="{}" rows="{}"{}>\n{}</textarea>',
                       field.html_name, field.auto_id, attrs.get("rows", 6),
                       " required" if field.field.required else "", field.value() or "")
