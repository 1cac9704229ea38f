"""API tokens: a user's bearer credential for the REST API, stored only as a hash."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xuala.core.models import HashedSecret


class HashedToken(HashedSecret):
    """A bearer credential (a user's API token, a node's token): a named hashed secret that
    records when it was last used."""

    name = models.CharField(_("name"), max_length=100, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta(HashedSecret.Meta):
        abstract = True


class ApiToken(HashedToken):
    """A bearer token acting for ``user``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens", verbose_name=_("user"))

    class Meta(HashedToken.Meta):
        verbose_name, verbose_name_plural = _("API token"), _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or self.user})"
