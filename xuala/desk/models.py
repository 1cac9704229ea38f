"""Tickets, their messages and attachments, SLA pauses and the event log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xuala.core.models import EventRow, choices, user_or_null
from xuala.policy.schema import TicketClass

Status = choices("Status", new=_("New"), open=_("Open"), waiting_client=_("Waiting on client"),
                 waiting_quote=_("Waiting on quote"), meeting=_("Meeting"), resolved=_("Resolved"),
                 closed=_("Closed"))


# Statuses in which the response clock is stopped (READING.md: waiting on the client).
PAUSED_STATUSES = frozenset({Status.WAITING_CLIENT, Status.WAITING_QUOTE, Status.MEETING})
DONE_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED})
ACTIVE_STATUSES = frozenset(set(Status) - DONE_STATUSES)


Channel = choices("Channel", portal=_("Client area"), email=_("E-mail"), sentry=_("Online Sentry"),
                  agent=_("Opened by an agent"), api=_("API"))


ClassChoices = choices("ClassChoices", standard=_("Standard"), priority=_("Priority"),
                       emergency=_("Emergency"))


TriageState = choices("TriageState", **{"": _("None")}, applied=_("Applied"),
                      proposed=_("Proposed to the agent"), dismissed=_("Dismissed by the agent"))


def _rows_unless_none(instance: models.Model, flag: str, related) -> list:
    """``related``'s rows; none, without a query, when the reader found there are none
    (``flag`` annotated False on ``instance``, as ``ticket_for_agent`` does)."""
    if getattr(instance, flag, True) is False:
        return []
    return list(related.all())


class ChoiceLabel:
    """A model's read-only attribute: the translated label of its choice field ``field`` (the
    value itself when it is not a choice). It is what ``get_FOO_display()`` answers, without
    rebuilding the field's choices on every call (59 µs against 4 µs; the console's ticket
    page draws about a dozen)."""

    def __init__(self, choices: type[models.TextChoices], field: str):
        self.choices, self.field = choices, field

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = getattr(instance, self.field)
        try:
            return self.choices(value).label
        except ValueError:
            return value


class Ticket(models.Model):
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT,
                                 related_name="tickets")
    contact = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="tickets_opened", null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=40, blank=True)
    subject = models.CharField(_("subject"), max_length=250)
    site = models.ForeignKey("customers.Site", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="tickets")
    service = models.ForeignKey("customers.Service", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="tickets")
    ticket_class = models.CharField(_("class"), max_length=10, choices=ClassChoices.choices,
                                    default=TicketClass.STANDARD.value)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.NEW)
    assignee = user_or_null("tickets_assigned")
    language = models.CharField(max_length=5, default="es")

    # The clocks: set by the policy version that was in force when the request arrived.
    policy_version = models.ForeignKey("policy.PolicyVersion", on_delete=models.PROTECT)
    received_at = models.DateTimeField(default=timezone.now)
    target_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    target_missed_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Due-row engine: the next instant the SLA sweep must look at this ticket.
    sla_next_at = models.DateTimeField(null=True, blank=True)
    sla_stage = models.PositiveSmallIntegerField(default=0)
    # Queue order: 0 emergency, 1 running clock, 2 paused or answered, 3 done.
    queue_rank = models.PositiveSmallIntegerField(default=1)
    class_rank = models.PositiveSmallIntegerField(default=1)  # 0 for plan clients

    # Coverage triage.
    triage_rule = models.CharField(max_length=40, blank=True)
    triage_decision = models.CharField(max_length=20, blank=True)
    triage_clause = models.CharField(max_length=12, blank=True)
    triage_state = models.CharField(max_length=10, choices=TriageState.choices, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    status_label = ChoiceLabel(Status, "status")
    class_label = ChoiceLabel(ClassChoices, "ticket_class")
    channel_label = ChoiceLabel(Channel, "channel")

    class Meta:
        ordering = ["queue_rank", "due_at", "class_rank", "id"]
        indexes = [
            models.Index(fields=["queue_rank", "due_at", "class_rank", "id"],
                         name="desk_queue_idx", condition=Q(queue_rank__lt=3)),
            models.Index(fields=["queue_rank", "class_rank", "due_at", "id"],
                         name="desk_queue_plan_idx", condition=Q(queue_rank__lt=3)),
            models.Index(fields=["sla_next_at"], name="desk_sla_due_idx",
                         condition=Q(sla_next_at__isnull=False)),
            models.Index(fields=["customer", "-created_at"], name="desk_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"#{self.pk}"

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None

    @property
    def pause_list(self) -> list[TicketPause]:
        """The ticket's pauses (none, without a query, when ``has_pauses`` says so)."""
        return _rows_unless_none(self, "has_pauses", self.pauses)


class TicketPause(models.Model):
    """An interval during which the ticket's response clock stood still."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=16, choices=Status.choices)
    reason_label = ChoiceLabel(Status, "reason")

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"pause {self.started_at:%Y-%m-%d %H:%M} - {self.ended_at or '…'}"


MessageKind = choices("MessageKind", client=_("From the client"), reply=_("Reply to the client"),
                      note=_("Internal note"), auto=_("Automatic answer"))


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=8, choices=MessageKind.choices)
    author = user_or_null()
    body_html = models.TextField(help_text="Sanitised HTML.")
    body_text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    kind_label = ChoiceLabel(MessageKind, "kind")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} message on ticket {self.ticket_id}"

    @property
    def is_public(self) -> bool:
        return self.kind != MessageKind.NOTE

    @property
    def files(self) -> list[Attachment]:
        """The message's attachments (none, without a query, when ``has_files`` says so)."""
        return _rows_unless_none(self, "has_files", self.attachments)


def _attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.message.ticket_id}/{instance.message_id}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path, max_length=500)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.filename


class TicketEvent(EventRow):
    """What happened to a ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")

    def __str__(self) -> str:
        return f"{self.key} on ticket {self.ticket_id}"


class CannedReply(models.Model):
    title = models.CharField(max_length=120)
    language = models.CharField(max_length=5, default="es",
                                choices=[("es", "Español"), ("en", "English")])
    body = models.TextField()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class DeskEvent(EventRow):
    """A change outside any ticket (a canned reply saved or deleted, an agent's second
    sign-in step set up)."""

    def __str__(self) -> str:
        return self.key


# What raised an urgent review of a plan site (§6.3.6).
UrgentCause = choices("UrgentCause", sentry=_("Online Sentry incident"),
                      wsa=_("Security audit finding"), updates=_("Failed update"))


class UrgentReview(models.Model):
    """§6.3.6: a plan site's one urgent ticket for one cause while it is open.

    Every incident of the same site and cause joins it (``incidents`` counts them) instead
    of opening another; a review closes when its ticket is resolved or closed, and the next
    incident opens a new one. The partial unique index allows one open review per site and
    cause, so two engines raising the same cause at once still make one ticket.
    """

    site = models.ForeignKey("customers.Site", on_delete=models.CASCADE,
                             related_name="urgent_reviews")
    cause = models.CharField(max_length=12, choices=UrgentCause.choices)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="urgent_reviews")
    opened_at = models.DateTimeField()
    last_at = models.DateTimeField()
    incidents = models.PositiveIntegerField(default=1)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "cause"], condition=Q(closed_at__isnull=True),
                                    name="desk_urgent_one_open_per_cause"),
        ]

    def __str__(self) -> str:
        return f"urgent {self.cause} of site {self.site_id} ({self.incidents})"
