"""Automatic answers of the mail intake (wrong channel §3, not a client §6, confirm a sender)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from xuala.core.links import public_url
from xuala.desk import texts as desk_texts
from xuala.policy.loader import LoadedPolicy
from xuala.policy.schema import Decision

# Both languages in one answer to a stranger: the desk does not know which one they read.
ANSWER_LANGUAGES = ("es", "en")
SEPARATOR = "\n\n— — —\n\n"


def client_area_url(language: str) -> str:
    with translation.override(language):
        return public_url(reverse("portal:dashboard"))


def confirm_url(token: str) -> str:
    # The portal's confirmation page (portal:mail_confirm) is Spanish at the bare prefix.
    return public_url(f"/portal/mail/confirm/{token}/")


def _reply_subject(original: str) -> str:
    original = " ".join((original or "").split())[:200]
    return f"Re: {original}" if original else ""


def wrong_channel_answer(*, loaded: LoadedPolicy, original_subject: str,
                         to_address: str) -> tuple[str, str]:
    """§3: this address does not take support requests; name the two channels that do."""
    channels = loaded.policy.channels
    parts = []
    for language in ANSWER_LANGUAGES:
        with translation.override(language):
            parts.append("\n".join([
                _("Hello,"),
                "",
                _("The address %(address)s does not handle technical support requests, and your "
                  "message has not been passed on to the support team.") % {
                    "address": to_address},
                _("Technical support requests are accepted only through these two channels:"),
                "  - " + _("the ticket form of your Client Area: %(url)s") % {
                    "url": client_area_url(language)},
                "  - " + _("an e-mail to %(address)s") % {"address": channels.support_address},
                _("Please send your request through one of them. (Technical Support Policy, "
                  "clause %(clause)s)") % {"clause": channels.clause},
                "",
                _("This is an automatic answer."),
                loaded.policy.policy.company,
            ]))
    with translation.override(ANSWER_LANGUAGES[0]):
        subject = _reply_subject(original_subject) or _(
            "Your message has not reached technical support")
    return subject, SEPARATOR.join(parts)


def not_client_answer(*, loaded: LoadedPolicy, original_subject: str) -> tuple[str, str]:
    """§6: support is for clients with a contracted service."""
    parts = []
    for language in ANSWER_LANGUAGES:
        answer = desk_texts.policy_answer(decision=Decision.REFUSED, rule_key="not_client",
                                          clause=loaded.policy.coverage.clause, loaded=loaded,
                                          language=language)
        with translation.override(language):
            parts.append("\n".join([
                _("Hello,"),
                "",
                answer,
                _("If you are a client, please write from the address registered in your "
                  "Client Area (%(url)s).") % {"url": client_area_url(language)},
                "",
                _("This is an automatic answer."),
                loaded.policy.policy.company,
            ]))
    with translation.override(ANSWER_LANGUAGES[0]):
        subject = _reply_subject(original_subject) or _("Technical support is for clients")
    return subject, SEPARATOR.join(parts)


def confirm_request(*, loaded: LoadedPolicy, language: str, address: str, original_subject: str,
                    token: str) -> tuple[str, str]:
    """Ask a contact to confirm, in the client area, a message that claims to be from them."""
    with translation.override(language):
        subject = _("Please confirm a message sent in your name")
        body = "\n".join([
            _("Hello,"),
            "",
            _("We have received a message from your address %(address)s with the subject "
              "“%(subject)s”, but we could not verify that it really comes from you: the "
              "sender authentication of its domain failed. We have not acted on it.") % {
                "address": address, "subject": original_subject or "-"},
            _("If you sent it, please confirm it in your Client Area:"),
            confirm_url(token),
            _("If you did not send it, you can report it on the same page or simply ignore "
              "this e-mail: the message will not be acted upon."),
            "",
            _("This is an automatic answer."),
            loaded.policy.policy.company,
        ])
    return subject, body
