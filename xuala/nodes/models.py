"""Nodes: the agents on hosting servers, their tokens, where sites live, and their jobs."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xuala.api.models import HashedToken
from xuala.core.models import KeyedEvent, choices


class SiteSchedule(models.Model):
    """Due work of a plan service that runs on a site's node: its next run is at ``next_at``.
    The service's engine claims the due rows (claim_due), queues a job and sets the next
    instant. The reverse name is the app's: ``site.wsa_schedule``, ``site.updates_schedule``."""

    site = models.OneToOneField("customers.Site", on_delete=models.CASCADE,
                                related_name="%(app_label)s_schedule")
    next_at = models.DateTimeField(db_index=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.site} next {self.next_at:%Y-%m-%d %H:%M}"


class Node(models.Model):
    """What the desk knows of the agent of one hosting server.

    ``is_local``: the server is this machine, so `xuala run` starts its agent itself.
    """

    server = models.OneToOneField("customers.HostingServer", on_delete=models.CASCADE,
                                  related_name="node")
    is_local = models.BooleanField(_("local"), default=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    def __str__(self) -> str:
        return f"node of {self.server}"


class NodeToken(HashedToken):
    """A node's bearer credential; like an API token, only its SHA-256 is kept."""

    server = models.ForeignKey("customers.HostingServer", on_delete=models.CASCADE,
                               related_name="node_tokens")

    class Meta(HashedToken.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.server})"


class SiteRoot(models.Model):
    """Where a site's files are on its server (its document root)."""

    site = models.OneToOneField("customers.Site", on_delete=models.CASCADE,
                                related_name="root")
    path = models.CharField(_("document root"), max_length=1000)

    def __str__(self) -> str:
        return f"{self.site}: {self.path}"


JobState = choices("JobState", queued=_("Queued"), running=_("Running"), done=_("Done"),
                   failed=_("Failed"))


class Job(models.Model):
    """Work that must run where a site's files are, pulled by its server's node.

    Due work: ``next_at`` is when a node may claim it. A claim sets it to the end of the
    lease; heartbeats push it on; a finished job has none. A running job whose node died
    is therefore due again once its lease ends, for any node of the same server.
    ``attempt`` numbers the claims: a heartbeat or result of an older claim is refused.
    """

    key = models.CharField(max_length=200, unique=True)  # the idempotency key
    kind = models.CharField(max_length=40)
    server = models.ForeignKey("customers.HostingServer", on_delete=models.CASCADE,
                               related_name="jobs")
    site = models.ForeignKey("customers.Site", on_delete=models.CASCADE, null=True,
                             blank=True, related_name="jobs")
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    next_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=5)
    holder = models.ForeignKey(NodeToken, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="jobs")
    progress = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.state})"


class JobEvent(KeyedEvent):
    """What happened to a job, with a machine key (``job.claimed``, ``job.lease_lost``…)."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")

    class Meta(KeyedEvent.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.key} at {self.at:%Y-%m-%d %H:%M:%S}"
