"""Customers and what they bought: contacts, services, sites, coverage-plan contracts."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _plan_choices() -> list[tuple[str, str]]:
    from xuala.policy.selectors import policy_active

    return [(plan.key, plan.name.get("es")) for plan in policy_active().policy.plans]


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200)
    tax_id = models.CharField(_("tax id"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=5, default="es",
                                choices=[("es", "Español"), ("en", "English")])
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
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
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return f"{self.user} ({self.customer})"


class HostingServer(models.Model):
    """A server of the company's own infrastructure (Xuala Cloud)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    hostname = models.CharField(_("host name"), max_length=255)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("hosting server")
        verbose_name_plural = _("hosting servers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceKind(models.TextChoices):
    WEB_HOSTING = "web_hosting", _("Web hosting")
    MAIL = "mail", _("Corporate mail")
    DOMAIN = "domain", _("Domain")


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CANCELLED = "cancelled", _("Cancelled")


def _active_on(day_field_start: str, day_field_end: str, day: date) -> Q:
    return Q(**{f"{day_field_start}__lte": day}) & (
        Q(**{f"{day_field_end}__isnull": True}) | Q(**{f"{day_field_end}__gte": day})
    )


class Service(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="services")
    kind = models.CharField(_("kind"), max_length=20, choices=ServiceKind.choices)
    name = models.CharField(_("name"), max_length=200, help_text=_("Usually the domain."))
    server = models.ForeignKey(HostingServer, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="services")
    status = models.CharField(_("status"), max_length=12, choices=ServiceStatus.choices,
                              default=ServiceStatus.ACTIVE)
    starts_on = models.DateField(_("starts on"), default=date.today)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["customer", "kind", "name"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    @staticmethod
    def active_q(day: date) -> Q:
        return Q(status=ServiceStatus.ACTIVE) & _active_on("starts_on", "ends_on", day)


class Cms(models.TextChoices):
    WORDPRESS = "wordpress", "WordPress"
    WOOCOMMERCE = "woocommerce", "WooCommerce"
    PRESTASHOP = "prestashop", "PrestaShop"
    JOOMLA = "joomla", "Joomla"
    STATIC = "static", _("Static")
    OTHER = "other", _("Other")


class Site(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="sites")
    service = models.ForeignKey(Service, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="sites")
    server = models.ForeignKey(HostingServer, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="sites")
    url = models.URLField(_("URL"), max_length=500)
    cms = models.CharField(_("CMS"), max_length=20, choices=Cms.choices, default=Cms.WORDPRESS)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["url"]

    def __str__(self) -> str:
        return self.url


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PENDING = "pending", _("Pending")
    CANCELLED = "cancelled", _("Cancelled")


class Billing(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Annual")


class Contract(models.Model):
    """A Technical Coverage Policy plan bought by a customer (for some or all of its sites)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contracts")
    plan_key = models.CharField(_("plan"), max_length=60, choices=_plan_choices)
    billing = models.CharField(_("billing"), max_length=10, choices=Billing.choices)
    status = models.CharField(_("status"), max_length=12, choices=ContractStatus.choices,
                              default=ContractStatus.ACTIVE)
    starts_on = models.DateField(_("starts on"), default=date.today)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    sites = models.ManyToManyField(Site, blank=True, related_name="contracts",
                                   help_text=_("Covered sites; none means all of them."))

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return f"{self.customer}: {self.plan_key}"

    @staticmethod
    def active_q(day: date) -> Q:
        return Q(status=ContractStatus.ACTIVE) & _active_on("starts_on", "ends_on", day)
