"""Forms of the quote pages: the client's decision, and the agent's draft and its lines."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xuala.quotes.models import LineKind, QuoteStatus, Recurrence
from xuala.quotes.services import MAX_REASON


class AcceptForm(forms.Form):
    terms = forms.BooleanField(
        label=_("I have read the quote and its terms, and I accept them."), required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you reject it?"), max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please tell us why you reject the quote.")})


class QuoteForm(forms.Form):
    # Localised: a Spanish agent types "12,5".
    discount = forms.DecimalField(label=_("Discount (%)"), min_value=0, max_value=100,
                                  max_digits=5, decimal_places=2, localize=True)
    valid_until = forms.DateField(label=_("Valid until"),
                                  widget=forms.DateInput(attrs={"type": "date"},
                                                         format="%Y-%m-%d"))
    language = forms.ChoiceField(label=_("Language"),
                                 choices=[("es", "Español"), ("en", "English")])
    terms = forms.CharField(label=_("Terms"), required=False,
                            widget=forms.Textarea(attrs={"rows": 4}))


class LineForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=500)
    kind = forms.ChoiceField(label=_("Kind"), choices=LineKind.choices)
    recurrence = forms.ChoiceField(label=_("Recurrence"), choices=Recurrence.choices)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=0.001, max_digits=12,
                                  decimal_places=3, initial=1, localize=True)
    unit_price = forms.DecimalField(label=_("Unit price"), min_value=0, max_digits=14,
                                    decimal_places=4, localize=True)


class QuoteFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *QuoteStatus.choices])
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    ticket = forms.IntegerField(label=_("Ticket"), required=False, min_value=1,
                                max_value=2**63 - 1)


class TicketChoiceForm(forms.Form):
    """``?ticket=<id>`` of a new quote: an id the database can hold, or nothing."""

    ticket = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class NewQuoteForm(forms.Form):
    customer = forms.TypedChoiceField(label=_("Customer"), coerce=int)

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [(c.pk, c.name) for c in customers]
