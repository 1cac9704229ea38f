"""Online Sentry: monitors (due rows), raw checks kept around failures, incidents, uptime."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xuala.core.models import choices

MonitorKind = choices("MonitorKind", site=_("Website"), server=_("Hosting server"))


MonitorState = choices("MonitorState", unknown=_("Unknown"), up=_("Up"), down=_("Down"))


class Monitor(models.Model):
    kind = models.CharField(max_length=8, choices=MonitorKind.choices)
    site = models.OneToOneField("customers.Site", on_delete=models.CASCADE, null=True,
                                blank=True, related_name="monitor")
    server = models.OneToOneField("customers.HostingServer", on_delete=models.CASCADE,
                                  null=True, blank=True, related_name="monitor")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="monitors")
    name = models.CharField(max_length=200)
    url = models.URLField(max_length=500)
    # Expectations.
    keyword = models.CharField(max_length=200, blank=True)
    keyword_absent = models.BooleanField(default=False)
    status_min = models.PositiveSmallIntegerField(default=200)
    status_max = models.PositiveSmallIntegerField(default=399)
    max_ms = models.PositiveIntegerField(null=True, blank=True)
    min_cert_days = models.PositiveSmallIntegerField(default=7)
    extra_urls = models.JSONField(default=list, blank=True,
                                  help_text="Other pages that must work (a shop's cart, login).")
    interval_seconds = models.PositiveIntegerField(default=60)
    is_active = models.BooleanField(default=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    # State machine with confirmation.
    state = models.CharField(max_length=8, choices=MonitorState.choices,
                             default=MonitorState.UNKNOWN)
    state_since = models.DateTimeField(null=True, blank=True)
    pending_state = models.CharField(max_length=8, blank=True)  # a change awaiting confirmation
    pending_since = models.DateTimeField(null=True, blank=True)
    pending_count = models.PositiveSmallIntegerField(default=0)

    # Due row: engines claim monitors whose next_check_at has passed. slot_at is the regular
    # once-a-minute schedule (spread across the minute); a confirmation re-check goes between.
    next_check_at = models.DateTimeField(default=timezone.now)
    slot_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=64, blank=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)

    last_check_at = models.DateTimeField(null=True, blank=True)
    last_good_at = models.DateTimeField(null=True, blank=True)  # when LastGood was written
    last_result = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_check_at"], name="sentry_due_idx",
                                condition=Q(is_active=True))]

    def __str__(self) -> str:
        return self.name


class LastGood(models.Model):
    """A monitor's last good check (a 2 KB document: headers, certificate, the first kilobyte
    of the body), beside the incident report. Kept out of the monitor's row, which engines
    write twice a minute: a row that small is several times cheaper to rewrite."""

    monitor = models.OneToOneField(Monitor, on_delete=models.CASCADE, primary_key=True,
                                   related_name="last_good")
    at = models.DateTimeField()
    result = models.JSONField()

    def __str__(self) -> str:
        return f"{self.monitor_id} good at {self.at:%Y-%m-%d %H:%M:%S}"


class Check(models.Model):
    """A raw check, kept when it failed, changed the state, or is recent; else only rolled up."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="checks")
    at = models.DateTimeField()
    ok = models.BooleanField()
    error_class = models.CharField(max_length=16, blank=True)
    status = models.PositiveSmallIntegerField(null=True)
    total_ms = models.FloatField(null=True)
    result = models.JSONField()  # the whole CheckResult (timings, certificate, evidence)

    class Meta:
        indexes = [models.Index(fields=["monitor", "-at"], name="sentry_check_idx")]

    def __str__(self) -> str:
        outcome = "ok" if self.ok else self.error_class
        return f"{self.monitor_id} {self.at:%Y-%m-%d %H:%M:%S} {outcome}"


class Incident(models.Model):
    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="incidents")
    started_at = models.DateTimeField(help_text="The first failing check.")
    confirmed_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    error_class = models.CharField(max_length=16)
    report = models.JSONField(help_text="What failed, since when, evidence, last good check.")
    ticket = models.ForeignKey("desk.Ticket", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="incidents")
    in_maintenance = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["monitor", "-started_at"], name="sentry_incident_idx")]

    def __str__(self) -> str:
        return f"incident {self.pk} on {self.monitor}"

    @property
    def duration(self):
        return (self.resolved_at or timezone.now()) - self.started_at


MaintenanceReason = choices("MaintenanceReason", update_run=_("Tuesday update run"),
                            security=_("Security suspension"), manual=_("Planned maintenance"))


class MaintenanceWindow(models.Model):
    """While a window is open, failures raise no alert and do not count as downtime."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="maintenance")
    server = models.ForeignKey("customers.HostingServer", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="maintenance")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=12, choices=MaintenanceReason.choices)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.reason} {self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%H:%M}"


class UptimeTally(models.Model):
    """A monitor's counts over one period (an hour, a day): checks, failures, latency, and
    the seconds it was down and in maintenance."""

    checks = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    total_ms_sum = models.FloatField(default=0)
    down_seconds = models.PositiveIntegerField(default=0)
    maintenance_seconds = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class UptimeHour(UptimeTally):
    """One monitor-hour: check counts, latency, and a bitmap of its minutes that were down."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="hours")
    hour = models.DateTimeField()
    down_minutes = models.BigIntegerField(default=0)  # bit m set: minute m of the hour was down

    class Meta:
        constraints = [models.UniqueConstraint(fields=["monitor", "hour"],
                                               name="sentry_hour_unique")]

    def __str__(self) -> str:
        return f"{self.monitor_id} {self.hour:%Y-%m-%d %H}h"


class UptimeDay(UptimeTally):
    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["monitor", "day"], name="sentry_day_unique")]

    def __str__(self) -> str:
        return f"{self.monitor_id} {self.day}"
