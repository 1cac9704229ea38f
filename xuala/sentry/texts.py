"""What Online Sentry tells a client about an incident on her site: in her language, in
words, with times in the policy's time zone. The technical report is for agents only."""

from __future__ import annotations

from datetime import datetime

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xuala.core.text import duration_text
from xuala.policy.selectors import company_name, policy_active

WHAT_FAILED = {
    "dns": gettext_lazy("its address (DNS) does not resolve"),
    "refused": gettext_lazy("its server does not accept connections"),
    "tls": gettext_lazy("the secure connection (HTTPS) cannot be established"),
    "certificate": gettext_lazy("its security certificate is not valid or is about to expire"),
    "timeout": gettext_lazy("it takes too long to answer"),
    "http_status": gettext_lazy("it answers with an error page"),
    "keyword": gettext_lazy("its page does not show what it should"),
    "redirects": gettext_lazy("it sends visitors round in circles of redirects"),
    "too_slow": gettext_lazy("it answers too slowly"),
}


def when_words(instant: datetime) -> str:
    """A date and time in words in the active language, in the policy's time zone."""
    zone = policy_active().calendar.tz
    local = instant.astimezone(zone)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({zone.key})"


def what_failed(error_class: str) -> str:
    return str(WHAT_FAILED.get(error_class, gettext_lazy("it does not work as it should")))


def incident_opened(*, site_url: str, error_class: str, since: datetime,
                    language: str) -> tuple[str, str]:
    """The subject and first message of the ticket Online Sentry opens for the client."""
    with translation.override(language):
        subject = _("Your website %(site)s is not working") % {"site": site_url}
        body = _(
            "Hello,\n\n"
            "Online Sentry, the monitoring included in your plan, has found that your "
            "website %(site)s is not working: %(what)s. It has been failing since "
            "%(since)s.\n\n"
            "Our technicians have been alerted and are already working on it as an "
            "emergency. We will write to you here as soon as it works again; you do not "
            "need to do anything.\n\n"
            "%(company)s support") % {"site": site_url, "what": what_failed(error_class),
                                      "since": when_words(since), "company": company_name()}
    return subject, body


def incident_joined(*, site_url: str, error_class: str, since: datetime,
                    language: str) -> str:
    """The message added to the client's own open emergency for the same site."""
    with translation.override(language):
        return _(
            "Online Sentry, the monitoring included in your plan, confirms it: your "
            "website %(site)s is not working (%(what)s) since %(since)s.\n\n"
            "Our technicians have been alerted and are working on it as an emergency. We "
            "will write to you here as soon as it works again.") % {
                "site": site_url, "what": what_failed(error_class),
                "since": when_words(since)}


def incident_recovered(*, site_url: str, since: datetime, downtime_seconds: int,
                       language: str) -> str:
    """What the client is told when the site works again (the first message promised it)."""
    with translation.override(language):
        values = {"site": site_url, "since": when_words(since), "company": company_name(),
                  "time": duration_text(downtime_seconds)}
        return _("Hello,\n\n"
                 "Your website %(site)s works again since %(since)s, after %(time)s out of "
                 "service.\n\n"
                 "Our technicians are reviewing what happened, so that it does not happen "
                 "again, and will write to you here with what they find.\n\n"
                 "%(company)s support") % values
