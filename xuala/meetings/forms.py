"""Forms of meetings, for the client area and the console. They check input, nothing more."""

from __future__ import annotations

from zoneinfo import available_timezones

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xuala.meetings.models import ExceptionKind, Weekday
from xuala.meetings.texts import slot_label
from xuala.policy.selectors import policy_active


class PolicyDateTimeField(forms.DateTimeField):
    """A local date and time read in the policy's time zone (where opening hours live),
    whatever the display zone of the request."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value):
        with timezone.override(policy_active().calendar.tz):
            return super().to_python(value)

    def prepare_value(self, value):
        if hasattr(value, "astimezone"):
            return value.astimezone(policy_active().calendar.tz).strftime("%Y-%m-%dT%H:%M")
        return value


# ---------------------------------------------------------------- client area

class PickForm(forms.Form):
    slot = forms.TypedChoiceField(label=_("Choose a time"), coerce=int,
                                  widget=forms.RadioSelect,
                                  error_messages={"required": _("Choose one of the times."),
                                                  "invalid_choice": _(
                                                      "That time is no longer offered.")})

    def __init__(self, *args, slots=(), **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        tz = policy_active().calendar.tz
        self.fields["slot"].choices = [(s.pk, slot_label(s.starts_at, s.ends_at, tz))
                                       for s in slots]


class ProposeForm(forms.Form):
    text = forms.CharField(
        label=_("Which days and times suit you?"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example: “Tuesday or Thursday mornings, from 10:00”."))
    time_1 = PolicyDateTimeField(label=_("A time that suits you (optional)"), required=False)
    time_2 = PolicyDateTimeField(label=_("Another time (optional)"), required=False)
    time_3 = PolicyDateTimeField(label=_("Another time (optional)"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip() and not self.times():
            raise forms.ValidationError(_("Tell us which days and times suit you, or give "
                                          "at least one time."), code="empty")
        now = timezone.now()
        for name in ("time_1", "time_2", "time_3"):
            value = data.get(name)
            if value is not None and value <= now:
                self.add_error(name, _("This time has already passed."))
        return data

    def times(self):
        return [value for name in ("time_1", "time_2", "time_3")
                if (value := self.cleaned_data.get(name)) is not None]


# ---------------------------------------------------------------- console

class AgentChoiceField(forms.ChoiceField):
    """One of ``agents``; cleans to that agent (None when the empty choice is taken)."""

    def __init__(self, *, agents=(), empty_label=None, **kwargs):
        super().__init__(**kwargs)
        self.agents = {str(a.pk): a for a in agents}
        choices = [(pk, agent.get_full_name()) for pk, agent in self.agents.items()]
        self.choices = ([("", empty_label)] if empty_label else []) + choices

    def clean(self, value):
        return self.agents.get(super().clean(value))


class OfferForm(forms.Form):
    def __init__(self, *args, agents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"] = AgentChoiceField(
            label=_("Whose time"), agents=agents, required=False,
            empty_label=_("The assignee, or any agent with availability"))


class TimeForm(forms.Form):
    """Fix or move a meeting to a time (policy time zone) with an agent."""

    starts_at = PolicyDateTimeField(label=_("Start (policy time zone)"))

    def __init__(self, *args, agents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"] = AgentChoiceField(label=_("Agent"), agents=agents)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason (for the ticket log)"), required=False,
                             max_length=500)


class WindowForm(forms.Form):
    weekday = forms.TypedMultipleChoiceField(
        label=_("Weekdays"), choices=Weekday.choices, coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick every day with these hours: a whole working week at once."))
    starts = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    ends = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}))

    def clean(self):
        data = super().clean()
        if data.get("starts") and data.get("ends") and data["ends"] <= data["starts"]:
            raise forms.ValidationError(_("The end must be after the start."), code="order")
        return data


class ExceptionForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=ExceptionKind.choices)
    starts = forms.TimeField(label=_("From"), required=False,
                             widget=forms.TimeInput(attrs={"type": "time"}),
                             help_text=_("Leave both times empty for a whole day off."))
    ends = forms.TimeField(label=_("Until"), required=False,
                           widget=forms.TimeInput(attrs={"type": "time"}))

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if (starts is None) != (ends is None):
            raise forms.ValidationError(_("Give both times, or neither for a whole day."),
                                        code="times")
        if starts is None and data.get("kind") == ExceptionKind.EXTRA:
            raise forms.ValidationError(_("Extra availability needs its times."),
                                        code="extra_times")
        if starts is not None and ends <= starts:
            raise forms.ValidationError(_("The end must be after the start."), code="order")
        return data


# The areas of the tz database's real places; the rest are aliases kept for old systems
# (US/Eastern, Etc/GMT+3, SystemV/…) or not zones at all (Factory, localtime, posixrules).
_REAL_AREAS = ("Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/",
               "Australia/", "Europe/", "Indian/", "Pacific/")


def real_timezones() -> list[str]:
    """The time zones a person lives in, sorted, then UTC."""
    return [*sorted(z for z in available_timezones() if z.startswith(_REAL_AREAS)), "UTC"]


class TimezoneForm(forms.Form):
    timezone = forms.ChoiceField(label=_("Your time zone"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        first = policy_active().policy.timezone
        self.fields["timezone"].choices = [(first, first)] + [
            (z, z) for z in real_timezones() if z != first]
