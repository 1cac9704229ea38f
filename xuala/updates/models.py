"""Tuesday updates on the desk: each plan site's settings and schedule, the client's holds,
the versions held back after a failure, the runs with their components and checks, events.

The run itself happens on the site's node (an ``updates.run`` job); its result becomes the
rows below. Screenshots and diff images are files in the updates store
(``XUALA_UPDATE_IMAGES_DIR``), named by ``UpdateCheck.image``; the database keeps no image.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xuala.core.models import KeyedEvent, choices
from xuala.nodes.models import SiteSchedule

OnFailure = choices("OnFailure",
                    **{"continue": _("Roll the failed component back and go on with the others")},
                    stop=_("Roll the failed component back and stop the run"))


class UpdateSettings(models.Model):
    """How a site is updated; a site without a row gets the defaults."""

    site = models.OneToOneField("customers.Site", on_delete=models.CASCADE,
                                related_name="update_settings")
    on_failure = models.CharField(_("on failure"), max_length=10, choices=OnFailure.choices,
                                  default=OnFailure.CONTINUE)
    # The pages checked before and after each component; empty: the node's choice (home,
    # login, the shop if WooCommerce is active).
    pages = models.JSONField(_("pages checked"), default=list, blank=True)
    visual_threshold = models.FloatField(_("visual threshold"), default=0.02)
    # Text each page must show ({"/": ["Tienda"]}); a page without it fails its check.
    keywords = models.JSONField(_("keywords"), default=dict, blank=True)
    # A mirror or directory laid out plugins/<slug>/<version>.zip…; empty: the desk's
    # XUALA_UPDATE_SOURCE, else the node's own, else the official service.
    source = models.CharField(_("update source"), max_length=500, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"update settings of {self.site}"


class UpdateSchedule(SiteSchedule):
    """The site's next weekly run (its slot in the policy's window)."""


class UpdateHold(models.Model):
    """The client asked to skip the run of one week (``week``: that run's day, policy zone)."""

    site = models.ForeignKey("customers.Site", on_delete=models.CASCADE,
                             related_name="update_holds")
    week = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week"]
        constraints = [
            models.UniqueConstraint(fields=["site", "week"], condition=Q(released_at__isnull=True),
                                    name="updates_one_hold_per_week"),
        ]

    def __str__(self) -> str:
        return f"{self.site} held on {self.week}"


class HeldVersion(models.Model):
    """A component version that failed and was rolled back: not tried again until a newer
    version appears or an agent releases it."""

    site = models.ForeignKey("customers.Site", on_delete=models.CASCADE,
                             related_name="held_versions")
    type = models.CharField(max_length=10)  # plugin | theme | core
    slug = models.CharField(max_length=200)
    version = models.CharField(max_length=50)
    reason = models.TextField(blank=True)
    run = models.ForeignKey("UpdateRun", on_delete=models.SET_NULL, null=True, blank=True,
                            related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["type", "slug", "-created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.slug} {self.version} held on {self.site}"


RunState = choices("RunState", queued=_("Queued"), done=_("Done"), failed=_("Could not run"),
                   held=_("Skipped at your request"), missed=_("Not started within the window"))


ComponentStatus = choices("ComponentStatus", updated=_("Updated"), rolled_back=_("Rolled back"),
                          held_back=_("Held back"), unchanged=_("Up to date"))


CheckPhase = choices("CheckPhase", before=_("Before"), component=_("After the component"),
                     after=_("After the run"))


class UpdateRun(models.Model):
    site = models.ForeignKey("customers.Site", on_delete=models.CASCADE,
                             related_name="update_runs")
    job = models.OneToOneField("nodes.Job", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="update_run")
    trigger = models.CharField(max_length=10, default="schedule")  # schedule | agent | wsa
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    scheduled_for = models.DateTimeField(null=True, blank=True)  # its slot, if scheduled
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)
    core_from = models.CharField(max_length=20, blank=True)
    core_to = models.CharField(max_length=20, blank=True)
    snapshot = models.JSONField(default=dict, blank=True)
    log = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    maintenance = models.JSONField(default=list, blank=True)  # the Sentry windows opened
    ticket = models.ForeignKey("desk.Ticket", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "site"], name="updates_run_state_idx")]
        constraints = [
            # One run of a site at a time: a second "run now" gets the queued one.
            models.UniqueConstraint(fields=["site"], condition=Q(state="queued"),
                                    name="updates_one_queued_run_per_site"),
        ]

    def __str__(self) -> str:
        return f"update run {self.pk} of {self.site}"


class UpdateComponent(models.Model):
    run = models.ForeignKey(UpdateRun, on_delete=models.CASCADE, related_name="components")
    position = models.PositiveIntegerField(default=0)
    type = models.CharField(max_length=10)
    slug = models.CharField(max_length=200)
    name = models.CharField(max_length=200, blank=True)
    from_version = models.CharField(max_length=50, blank=True)
    to_version = models.CharField(max_length=50, blank=True)
    active = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=ComponentStatus.choices)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.type} {self.slug} {self.from_version} -> {self.to_version}"


class UpdateCheck(models.Model):
    """One page checked: before the run (with its screenshot), after a component (with the
    diff image when pixels changed) or after the run (with its screenshot)."""

    run = models.ForeignKey(UpdateRun, on_delete=models.CASCADE, related_name="checks")
    component = models.ForeignKey(UpdateComponent, on_delete=models.CASCADE, null=True,
                                  blank=True, related_name="checks")
    phase = models.CharField(max_length=10, choices=CheckPhase.choices)
    page = models.CharField(max_length=500)
    status = models.PositiveIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=True)
    problems = models.JSONField(default=list, blank=True)
    diff = models.FloatField(null=True, blank=True)
    image = models.CharField(max_length=300, blank=True)  # in the updates store

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.phase} {self.page} ({'ok' if self.ok else 'failed'})"

    @property
    def diff_percent(self) -> float | None:
        return None if self.diff is None else self.diff * 100


class UpdateEvent(KeyedEvent):
    site = models.ForeignKey("customers.Site", on_delete=models.CASCADE, related_name="+")

    class Meta(KeyedEvent.Meta):
        pass
