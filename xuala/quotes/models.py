"""Quotes for extra-cost work (§5): lines, taxes, validity, and the client's decision."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xuala.core.models import choices, user_or_null
from xuala.quotes import money

QuoteStatus = choices("QuoteStatus", draft=_("Draft"), sent=_("Sent"), accepted=_("Accepted"),
                      rejected=_("Rejected"), expired=_("Expired"), withdrawn=_("Withdrawn"))


# Statuses a client sees (a draft is the agent's until it is sent).
CLIENT_VISIBLE = frozenset(set(QuoteStatus) - {QuoteStatus.DRAFT})
DECIDED = frozenset({QuoteStatus.ACCEPTED, QuoteStatus.REJECTED})


LineKind = choices("LineKind", licence=_("Licensed component"), upgrade=_("Service upgrade"),
                   work=_("Work"))


Recurrence = choices("Recurrence", one_off=_("One-off"), monthly=_("Monthly"), annual=_("Annual"))


class QuoteCounter(models.Model):
    """The last quote number handed out in a year; bumped with a conditional update."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Quote(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    ticket = models.ForeignKey("desk.Ticket", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="quotes")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT,
                                 related_name="quotes")
    # Who receives it and may decide on it (any contact of the customer may decide).
    contact = user_or_null("quotes_received")
    status = models.CharField(_("status"), max_length=10, choices=QuoteStatus.choices,
                              default=QuoteStatus.DRAFT)
    # Copied from the policy when drafted, so a later policy change leaves it as sent.
    clause = models.CharField(max_length=12, default="5")
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    tax_name = models.CharField(_("tax"), max_length=20, default="IVA")
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2,
                                   validators=[MinValueValidator(0), MaxValueValidator(100)])
    discount = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2,
                                   default=Decimal("0"),
                                   validators=[MinValueValidator(0), MaxValueValidator(100)])
    valid_until = models.DateField(_("valid until"))
    terms = models.TextField(_("terms"), blank=True)
    language = models.CharField(_("language"), max_length=5, default="es",
                                choices=[("es", "Español"), ("en", "English")])
    created_by = user_or_null()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = user_or_null()
    decided_ip = models.GenericIPAddressField(null=True, blank=True)
    decided_user_agent = models.CharField(max_length=500, blank=True)
    rejection_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="quotes_year_sequence"),
            models.CheckConstraint(condition=Q(discount__gte=0) & Q(discount__lte=100),
                                   name="quotes_discount_percent"),
        ]
        indexes = [
            models.Index(fields=["valid_until"], name="quotes_sent_due_idx",
                         condition=Q(status="sent")),
            models.Index(fields=["customer", "-created_at"], name="quotes_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_draft(self) -> bool:
        return self.status == QuoteStatus.DRAFT

    def totals(self, lines: list[QuoteLine] | None = None) -> money.Totals:
        """Figures of the quote; pass ``lines`` to reuse rows already loaded."""
        rows = self.lines.all() if lines is None else lines
        return money.quote_totals(
            (money.LineInput(quantity=line.quantity, unit_price=line.unit_price,
                             recurrence=line.recurrence) for line in rows),
            discount_rate=self.discount, tax_rate=self.tax_rate)


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(_("description"), max_length=500)
    kind = models.CharField(_("kind"), max_length=10, choices=LineKind.choices,
                            default=LineKind.WORK)
    recurrence = models.CharField(_("recurrence"), max_length=10, choices=Recurrence.choices,
                                  default=Recurrence.ONE_OFF)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3,
                                   validators=[MinValueValidator(Decimal("0.001"))])
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=4,
                                     validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="quotes_line_quantity"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="quotes_line_price"),
        ]

    def __str__(self) -> str:
        return self.description
