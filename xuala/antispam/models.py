"""Anti-spam for plan sites: keys, verdicts with their reasons, a site's learning, block lists."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xuala.core.models import EventRow, HashedSecret, choices
from xuala.customers.models import Site

# What a site (submit-spam/submit-ham) or an agent says a submission really was.
Label = choices("Label", spam=_("Spam"), ham=_("Not spam"))


class AntispamKey(HashedSecret):
    """An Akismet-protocol key of one plan site, stored as its SHA-256 hash (shown once)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="antispam_keys",
                             verbose_name=_("site"))

    class Meta(HashedSecret.Meta):
        verbose_name, verbose_name_plural = _("anti-spam key"), _("anti-spam keys")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.site})"


class Check(models.Model):
    """One submission judged for a site: what was sent, the verdict and every reason."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="antispam_checks")
    at = models.DateTimeField(default=timezone.now)
    spam = models.BooleanField()
    certain = models.BooleanField(default=False)
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    comment_type = models.CharField(max_length=40, blank=True)
    author = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True)
    url = models.CharField(max_length=500, blank=True)
    content = models.TextField(blank=True)
    user_ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    fingerprint = models.CharField(max_length=32)
    # Akismet's guid of the check (X-akismet-guid): drawn when the verdict is given, before
    # the row is written (verdict rows are written in batches, off the request path).
    guid = models.CharField(max_length=32, blank=True, db_index=True)
    is_test = models.BooleanField(default=False)
    # Feedback: what the site (submit-spam/submit-ham) or an agent says it really was.
    corrected_to = models.CharField(max_length=4, choices=Label.choices, blank=True)
    corrected_at = models.DateTimeField(null=True, blank=True)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["site", "-at"], name="antispam_check_site_at"),
                   models.Index(fields=["fingerprint", "at"], name="antispam_check_print_at")]

    def __str__(self) -> str:
        return f"{'spam' if self.spam else 'ham'} for {self.site_id} at {self.at:%Y-%m-%d %H:%M}"


class SiteLearning(models.Model):
    """A site's own model: a sparse delta on top of the global one, grown by its feedback."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="antispam_learning")
    delta = models.BinaryField(default=b"")
    reports = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"learning of site {self.site_id} ({self.reports} reports)"


# What a block holds back: a sender's address, or a domain its links lead to.
BlockKind = choices("BlockKind", ip=_("IP address"), domain=_("Domain"))


class Block(models.Model):
    """An address or domain confirmed as spam, for one site (or all when site is empty)."""

    kind = models.CharField(max_length=6, choices=BlockKind.choices)
    value = models.CharField(max_length=253)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="antispam_blocks")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    # Set on every create or extension: with the row count, the version that tells each
    # process's in-memory block lists to reload.
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)
    check_row = models.ForeignKey(Check, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "value", "site"],
                                               name="antispam_block_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.value} until {self.expires_at:%Y-%m-%d}"


class AntispamEvent(EventRow):
    """Audit row with a machine key (antispam.key_created, antispam.reported…)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="antispam_events")

    class Meta(EventRow.Meta):
        pass


class RateCount(models.Model):
    """Submissions from one address or network in one minute (when Redis is not used)."""

    scope = models.CharField(max_length=64)  # "ip:203.0.113.9", "net:203.0.113.0/24"
    minute = models.BigIntegerField()  # Unix time // 60
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "minute"],
                                               name="antispam_rate_once")]

    def __str__(self) -> str:
        return f"{self.scope} at minute {self.minute}: {self.count}"
