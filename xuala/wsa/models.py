"""The WSA's records on the desk: audit schedules, audits, findings, suspensions, events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xuala.core.models import KeyedEvent, choices
from xuala.nodes.models import JobState, SiteSchedule


class AuditSchedule(SiteSchedule):
    """The site's next audit (every services.wsa.interval, spread per server)."""


class KnownAdmins(models.Model):
    """The site's administrators as the desk knows them: the logins the first audit that read
    the database found, then those a technician kept (a finding judged sound), less those
    demoted. Every later audit names any other administrator ("admin-unknown"): an account
    an intruder created, or an old one raised to administrator."""

    site = models.OneToOneField("customers.Site", on_delete=models.CASCADE,
                                related_name="wsa_known_admins")
    logins = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.site}: {', '.join(self.logins) or '-'}"


class Audit(models.Model):
    site = models.ForeignKey("customers.Site", on_delete=models.CASCADE, related_name="audits")
    job = models.OneToOneField("nodes.Job", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="audit")
    trigger = models.CharField(max_length=10, default="schedule")  # schedule | agent
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    # The state of the audit is that of its job (queued, running, done, failed).
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    files = models.PositiveIntegerField(default=0)
    bytes = models.PositiveBigIntegerField(default=0)
    seconds = models.FloatField(default=0)
    database = models.BooleanField(default=False)
    skipped = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    ticket = models.ForeignKey("desk.Ticket", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"audit {self.pk} of {self.site}"


Action = choices("Action", none=_("Noted"), pending=_("Being cleaned"),
                 quarantined=_("Moved to quarantine"),
                 replaced=_("Replaced with the original file"), stripped=_("Injected code removed"),
                 demoted=_("Administrator role removed"),
                 proposed=_("Waiting for a technician's approval"), restored=_("Restored"),
                 failed=_("Cleaning failed"), kept=_("Kept: a technician judged it sound"))


class Finding(models.Model):
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="findings")
    path = models.CharField(max_length=1000)
    kind = models.CharField(max_length=20)
    rule = models.CharField(max_length=120)
    severity = models.CharField(max_length=10)
    evidence = models.TextField(blank=True)
    offset = models.BigIntegerField(default=0)
    action = models.CharField(max_length=12, choices=Action.choices, default=Action.NONE)
    remedy = models.CharField(max_length=40, blank=True)  # the job kind that cleans it
    action_job = models.ForeignKey("nodes.Job", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    quarantine_id = models.CharField(max_length=40, blank=True)
    diff = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.severity} {self.rule} {self.path}"


class Suspension(models.Model):
    """§6.3.3: the site answers a maintenance page until ``ends_at`` (at most 15 days)."""

    site = models.ForeignKey("customers.Site", on_delete=models.CASCADE,
                             related_name="suspensions")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.TextField()
    is_active = models.BooleanField(default=True)
    next_at = models.DateTimeField(null=True, blank=True, db_index=True)  # the lift, due
    lifted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.site} suspended until {self.ends_at:%Y-%m-%d}"


class WsaEvent(KeyedEvent):
    site = models.ForeignKey("customers.Site", on_delete=models.CASCADE, related_name="+")

    class Meta(KeyedEvent.Meta):
        pass
