"""Forms of the client area: sign-in, a new request, a reply. They check input, nothing more."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from xuala.accounts.signin import username_normalise
from xuala.core.text import one_line
from xuala.customers.models import Customer
from xuala.customers.selectors import customer_for_user, customer_services, customer_sites
from xuala.desk.services import Upload
from xuala.policy.schema import Decision
from xuala.policy.selectors import policy_active


class LoginForm(forms.Form):
    # Named "username" because django-axes reads the account from that field.
    username = forms.EmailField(label=_("E-mail address"), max_length=254,
                                widget=forms.EmailInput(attrs={"autocomplete": "username",
                                                               "autofocus": True}))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={
                                   "autocomplete": "current-password"}))

    error_messages = {
        "invalid_login": _("The e-mail address or the password is not correct."),
        "no_access": _("This account has no access to the Client Area. If you are a client, "
                       "please write to us and we will link it to your company."),
    }

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_username(self) -> str:
        return username_normalise(self.cleaned_data.get("username"))

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:
            # Through authenticate(), so django-axes counts failures and locks out.
            self.user = authenticate(request=self.request, username=email, password=password)
            if self.user is None:
                raise forms.ValidationError(self.error_messages["invalid_login"],
                                            code="invalid_login")
            if not self.user.is_agent and customer_for_user(self.user) is None:
                raise forms.ValidationError(self.error_messages["no_access"], code="no_access")
        return self.cleaned_data


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one input; checks the count and size limits the desk enforces."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, list | tuple) else [data]
        files = [super(AttachmentsField, self).clean(item, initial) for item in items if item]
        most = settings.XUALA_MAX_ATTACHMENTS
        if len(files) > most:
            raise forms.ValidationError(
                ngettext("You can attach at most %(n)d file.",
                         "You can attach at most %(n)d files.", most) % {"n": most},
                code="too_many")
        limit = settings.XUALA_MAX_ATTACHMENT_BYTES
        for upload in files:
            if upload.size > limit:
                raise forms.ValidationError(
                    _("The file “%(name)s” is %(size)s; each file may be at most %(limit)s.")
                    % {"name": upload.name, "size": filesizeformat(upload.size),
                       "limit": filesizeformat(limit)},
                    code="too_large")
        return files


def as_uploads(files) -> list[Upload]:
    """The files of an AttachmentsField as the desk services take them."""
    return [Upload(f.name, f.read(), f.content_type or "application/octet-stream")
            for f in files]


def attachments_help() -> str:
    return _("Optional. Up to %(n)d files of at most %(limit)s each.") % {
        "n": settings.XUALA_MAX_ATTACHMENTS,
        "limit": filesizeformat(settings.XUALA_MAX_ATTACHMENT_BYTES)}


class TicketForm(forms.Form):
    about = forms.ChoiceField(
        label=_("Which service or site is it about?"), required=False,
        error_messages={"invalid_choice": _("Choose one of your own services or sites.")})
    category = forms.ChoiceField(
        label=_("Kind of problem"),
        error_messages={"invalid_choice": _("Choose one of the kinds of problem listed.")})
    subject = forms.CharField(label=_("Subject"), max_length=250)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 8}),
                                  help_text=_("What happens, where, since when, and what you "
                                              "have already tried."))
    attachments = AttachmentsField(label=_("Attachments"))

    def clean_subject(self) -> str:
        return one_line(self.cleaned_data.get("subject"))

    def __init__(self, *args, customer: Customer, language: str, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.customer = customer
        self._sites = {f"site:{s.pk}": s for s in customer_sites(customer=customer)}
        self._services = {f"service:{s.pk}": s for s in customer_services(customer=customer)}
        choices: list = [("", _("Not about one service in particular"))]
        if self._sites:
            choices.append((_("Sites"), [(key, s.url) for key, s in self._sites.items()]))
        if self._services:
            choices.append((_("Services"), [(key, str(s)) for key, s in self._services.items()]))
        self.fields["about"].choices = choices
        from xuala.desk.triage import rules_of

        scope = rules_of(policy_active().policy)  # the scope rules and the plan extras
        self.fields["category"].choices = [("", _("Choose…"))] + [
            (rule.key, rule.label.get(language)) for rule in scope]
        # The kinds of problem the policy refuses at once: the page says so before sending.
        self.refused_categories = [
            {"key": rule.key, "answer": rule.answer.get(language), "clause": rule.clause}
            for rule in scope if rule.decision == Decision.REFUSED and rule.answer]
        self.fields["attachments"].help_text = attachments_help()

    def clean(self):
        cleaned = super().clean()
        key = cleaned.get("about") or ""
        site = self._sites.get(key)
        service = self._services.get(key)
        if site is not None and site.service_id is not None:
            service = self._services.get(f"service:{site.service_id}")
        cleaned["site"], cleaned["service"] = site, service
        return cleaned


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 6}))
    attachments = AttachmentsField(label=_("Attachments"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachments_help()
