"""Customers and what they bought: contacts, services, sites, coverage-plan contracts."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xuala.core.models import choices


def _plan_choices() -> list[tuple[str, str]]:
    from xuala.policy.selectors import policy_active

    return [(plan.key, plan.name.get("es")) for plan in policy_active().policy.plans]


ServiceKind = choices("ServiceKind", web_hosting=_("Web hosting"), mail=_("Corporate mail"),
                      domain=_("Domain"))


ServiceStatus = choices("ServiceStatus", active=_("Active"), suspended=_("Suspended"),
                        cancelled=_("Cancelled"))


Cms = choices("Cms", wordpress="WordPress", woocommerce="WooCommerce", prestashop="PrestaShop",
              joomla="Joomla", static=_("Static"), other=_("Other"))


ContractStatus = choices("ContractStatus", active=_("Active"), pending=_("Pending"),
                         cancelled=_("Cancelled"))


Billing = choices("Billing", monthly=_("Monthly"), annual=_("Annual"))


class Term(models.Model):
    """What a customer bought for a time (a service, a plan contract): in force on a day when
    its status is "active" (ServiceStatus.ACTIVE, ContractStatus.ACTIVE) and the day lies
    between its first day and its last one, if it has one. customers_coverage
    (selectors.py) writes the same condition in SQL; tests/customers/test_coverage_sql.py
    holds the two together."""

    starts_on = models.DateField(_("starts on"), default=date.today)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        abstract = True

    @staticmethod
    def active_q(day: date) -> Q:
        return (Q(status="active", starts_on__lte=day)
                & (Q(ends_on__isnull=True) | Q(ends_on__gte=day)))


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200)
    tax_id = models.CharField(_("tax id"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=5, default="es",
                                choices=[("es", "Español"), ("en", "English")])
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name, verbose_name_plural = _("customer"), _("customers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A client user who speaks for a customer."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="contact")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        verbose_name, verbose_name_plural = _("contact"), _("contacts")

    def __str__(self) -> str:
        return f"{self.user} ({self.customer})"


class HostingServer(models.Model):
    """A server of the company's own infrastructure (Xuala Cloud)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    hostname = models.CharField(_("host name"), max_length=255)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name, verbose_name_plural = _("hosting server"), _("hosting servers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Service(Term):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="services")
    kind = models.CharField(_("kind"), max_length=20, choices=ServiceKind.choices)
    name = models.CharField(_("name"), max_length=200, help_text=_("Usually the domain."))
    server = models.ForeignKey(HostingServer, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="services")
    status = models.CharField(_("status"), max_length=12, choices=ServiceStatus.choices,
                              default=ServiceStatus.ACTIVE)

    class Meta:
        verbose_name, verbose_name_plural = _("service"), _("services")
        ordering = ["customer", "kind", "name"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"


class Contract(Term):
    """A Technical Coverage Policy plan bought by a customer (for some or all of its sites)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contracts")
    plan_key = models.CharField(_("plan"), max_length=60, choices=_plan_choices)
    billing = models.CharField(_("billing"), max_length=10, choices=Billing.choices)
    status = models.CharField(_("status"), max_length=12, choices=ContractStatus.choices,
                              default=ContractStatus.ACTIVE)
    sites = models.ManyToManyField("Site", blank=True, related_name="contracts",
                                   help_text=_("Covered sites; none means all of them."))

    class Meta:
        verbose_name, verbose_name_plural = _("contract"), _("contracts")
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return f"{self.customer}: {self.plan_key}"


class Site(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="sites")
    service = models.ForeignKey(Service, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="sites")
    server = models.ForeignKey(HostingServer, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="sites")
    url = models.URLField(_("URL"), max_length=500)
    cms = models.CharField(_("CMS"), max_length=20, choices=Cms.choices, default=Cms.WORDPRESS)

    class Meta:
        verbose_name, verbose_name_plural = _("site"), _("sites")
        ordering = ["url"]

    def __str__(self) -> str:
        return self.url
