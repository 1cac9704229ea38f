"""Personal-assistance meetings (§4): agents' availability, requests, offered slots, meetings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xuala.core.models import choices, user_or_null

DEFAULT_AGENT_TIMEZONE = "Europe/Madrid"


def validate_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("“%(zone)s” is not a known time zone."),
                              params={"zone": value}, code="timezone") from None


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class AgentProfile(models.Model):
    """An agent's meeting settings. Its row is also what a booking locks (select_for_update),
    so two bookings for one agent are serialised."""

    agent = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 related_name="meeting_profile")
    timezone = models.CharField(_("time zone"), max_length=64, default=DEFAULT_AGENT_TIMEZONE,
                                validators=[validate_timezone])

    def __str__(self) -> str:
        return f"{self.agent} ({self.timezone})"


class AgentAvailability(models.Model):
    """A weekly window in which the agent takes meetings, in the agent's local wall time."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="meeting_availability")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        ordering = ["agent", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=F("starts")),
                                   name="meetings_availability_ends_after_start"),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6),
                                   name="meetings_availability_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


ExceptionKind = choices("ExceptionKind", off=_("Not available"), extra=_("Extra availability"))


class AvailabilityException(models.Model):
    """A change on one date: a day (or some hours) off, or extra hours."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="meeting_exceptions")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=5, choices=ExceptionKind.choices)
    # Empty for a whole day off; an extra window always has both.
    starts = models.TimeField(_("from"), null=True, blank=True)
    ends = models.TimeField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["agent", "date", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(starts__isnull=True, ends__isnull=True, kind="off")
                           | Q(starts__isnull=False, ends__isnull=False, ends__gt=F("starts"))),
                name="meetings_exception_times"),
        ]

    def __str__(self) -> str:
        hours = f" {self.starts:%H:%M}-{self.ends:%H:%M}" if self.starts else ""
        return f"{self.date} {self.kind}{hours}"


RequestStatus = choices("RequestStatus", requested=_("Requested"), offered=_("Times offered"),
                        proposed_by_client=_("Times proposed by the client"),
                        confirmed=_("Confirmed"), rescheduled=_("Rescheduled"),
                        cancelled=_("Cancelled"), done=_("Held"))


# A request in one of these still needs the client or an agent to settle a time.
OPEN_REQUEST_STATUSES = frozenset({RequestStatus.REQUESTED, RequestStatus.OFFERED,
                                   RequestStatus.PROPOSED_BY_CLIENT})
# A request in one of these has a confirmed meeting.
BOOKED_REQUEST_STATUSES = frozenset({RequestStatus.CONFIRMED, RequestStatus.RESCHEDULED})
FINISHED_REQUEST_STATUSES = frozenset({RequestStatus.CANCELLED, RequestStatus.DONE})


class MeetingRequest(models.Model):
    """A ticket's request for personal help, until a meeting is held or cancelled."""

    ticket = models.ForeignKey("desk.Ticket", on_delete=models.CASCADE,
                               related_name="meeting_requests")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="meeting_requests")
    status = models.CharField(_("status"), max_length=20, choices=RequestStatus.choices,
                              default=RequestStatus.REQUESTED)
    agent = user_or_null("meeting_requests")  # the booked meeting's agent
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live request per ticket: meeting_request_open is idempotent on it.
            models.UniqueConstraint(
                fields=["ticket"], name="meetings_one_live_request_per_ticket",
                condition=~Q(status__in=["cancelled", "done"])),
        ]
        indexes = [models.Index(fields=["customer", "-created_at"],
                                name="meetings_request_customer_idx")]

    def __str__(self) -> str:
        return f"meeting request {self.pk} for ticket {self.ticket_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES


class OfferedSlot(models.Model):
    """A time offered to the client; offering again replaces the earlier set."""

    request = models.ForeignKey(MeetingRequest, on_delete=models.CASCADE, related_name="slots")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"{self.starts_at.isoformat()} with {self.agent_id}"


class ClientProposal(models.Model):
    """Times the client suggests instead: free text and, optionally, exact instants."""

    request = models.ForeignKey(MeetingRequest, on_delete=models.CASCADE,
                                related_name="proposals")
    author = user_or_null()
    text = models.TextField()
    times = models.JSONField(default=list, blank=True)  # ISO 8601 instants in UTC
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"proposal {self.pk} on request {self.request_id}"

    @property
    def instants(self) -> list[datetime]:
        return [datetime.fromisoformat(value) for value in self.times]


MeetingStatus = choices("MeetingStatus", confirmed=_("Confirmed"), cancelled=_("Cancelled"))


class Meeting(models.Model):
    """A confirmed virtual meeting. ``uid`` and ``sequence`` are its iCalendar identity:
    every update goes out with the same UID and a higher SEQUENCE."""

    request = models.ForeignKey(MeetingRequest, on_delete=models.CASCADE,
                                related_name="meetings")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="meetings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    room_url = models.URLField(max_length=500)
    uid = models.CharField(max_length=255, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=MeetingStatus.choices,
                              default=MeetingStatus.CONFIRMED)
    # Due row of the reminder engine; cleared when the reminder goes out or is moot.
    reminder_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            # The database's own guard against double booking one agent at one start; the
            # services also check overlaps inside a transaction that locks the agent.
            models.UniqueConstraint(fields=["agent", "starts_at"],
                                    condition=Q(status="confirmed"),
                                    name="meetings_no_double_booking"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="meetings_meeting_ends_after_start"),
        ]
        indexes = [
            models.Index(fields=["reminder_at"], name="meetings_reminder_due_idx",
                         condition=Q(reminder_at__isnull=False)),
            models.Index(fields=["agent", "starts_at"], name="meetings_agent_start_idx"),
        ]

    def __str__(self) -> str:
        return f"meeting {self.uid} at {self.starts_at.isoformat()}"
