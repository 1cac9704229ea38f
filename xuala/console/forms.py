"""Forms of the agent console: sign-in, codes, queue filters, ticket actions, canned replies."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xuala.accounts.signin import username_normalise
from xuala.desk.models import CannedReply, ClassChoices, Status

BREACH_WINDOWS = (1, 4, 8, 24)


class LoginForm(forms.Form):
    # Named "username" so that django-axes counts failures per account.
    username = forms.CharField(
        label=_("E-mail address"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def clean_username(self) -> str:
        return username_normalise(self.cleaned_data.get("username"))


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("6-digit code"), regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6 digits your authenticator app shows.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": r"\d{6}", "maxlength": 6, "autofocus": True}))

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()


ASSIGNEE_FILTERS = [("all", _("Anyone")), ("me", _("Me")), ("unassigned", _("Unassigned"))]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All active")), *Status.choices])
    ticket_class = forms.ChoiceField(label=_("Class"), required=False,
                                     choices=[("", _("All classes")), *ClassChoices.choices])
    assignee = forms.ChoiceField(label=_("Assignee"), required=False, choices=ASSIGNEE_FILTERS)
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.SearchInput(attrs={
                            "placeholder": _("Subject, customer or #number")}))
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000,
                              widget=forms.HiddenInput)


class BreachWindowForm(forms.Form):
    hours = forms.TypedChoiceField(label=_("Breaching within"), coerce=int, required=False,
                                   choices=[(h, h) for h in BREACH_WINDOWS])


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), max_length=50000,
                           widget=forms.Textarea(attrs={"rows": 8}))
    status = forms.ChoiceField(label=_("Then set the status to"), required=False)

    def __init__(self, *args, statuses=(), **kwargs):
        kwargs.setdefault("auto_id", "reply_%s")
        super().__init__(*args, **kwargs)
        labels = dict(Status.choices)
        self.fields["status"].choices = [("", _("Keep the current status"))] + [
            (value, labels[value]) for value in statuses]


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note for the team"), max_length=50000,
                           widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "note_%s")
        super().__init__(*args, **kwargs)


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assign to"), required=False)

    def __init__(self, *args, agents=(), **kwargs):
        kwargs.setdefault("auto_id", "assign_%s")
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = (
            [("me", _("Me")), ("", _("Nobody (unassign)"))]
            + [(str(agent.pk), str(agent)) for agent in agents])


class StatusForm(forms.Form):
    # Any status validates here; whether the ticket may move there is the service's call.
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "status_%s")
        super().__init__(*args, **kwargs)


class CannedReplyForm(forms.ModelForm):
    class Meta:
        model = CannedReply
        fields = ["title", "language", "body"]
        labels = {"title": _("Title"), "language": _("Language"), "body": _("Text")}
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}
