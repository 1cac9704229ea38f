"""Reads the console needs beyond the desk's selectors: agents, canned replies, attachments."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from xuala.accounts.models import Role, User
from xuala.desk.models import Attachment, CannedReply, Ticket


def agents() -> QuerySet[User]:
    """Active users who may be assigned tickets (agents and administrators)."""
    return (User.objects.filter(role__in=[Role.AGENT, Role.ADMIN], is_active=True)
            .order_by("name", "email"))


def ticket_for_action(*, pk: int) -> Ticket:
    """A plain ticket row to hand to a service.

    Deliberately without prefetches: services re-read related rows (pauses) after
    changing them, and a prefetch cache would hand them stale data.
    """
    return get_object_or_404(Ticket.objects.select_related("policy_version", "contact"), pk=pk)


def attachment_for_agent(*, pk: int) -> Attachment:
    return get_object_or_404(Attachment, pk=pk)


def canned_replies(*, language: str | None = None) -> QuerySet[CannedReply]:
    qs = CannedReply.objects.all()
    if language:
        qs = qs.filter(language=language)
    return qs.order_by("title", "pk")


def canned_reply(*, pk: int) -> CannedReply:
    return get_object_or_404(CannedReply, pk=pk)
