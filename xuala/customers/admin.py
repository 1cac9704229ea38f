from django.contrib import admin

from xuala.customers.models import Contact, Contract, Customer, HostingServer, Service, Site


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    raw_id_fields = ["user"]


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


class ContractInline(admin.TabularInline):
    model = Contract
    extra = 0
    filter_horizontal = ["sites"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "tax_id", "language", "is_demo", "created_at"]
    list_filter = ["language", "is_demo"]
    search_fields = ["name", "tax_id", "contacts__user__email"]
    inlines = [ContactInline, ServiceInline, SiteInline, ContractInline]


@admin.register(HostingServer)
class HostingServerAdmin(admin.ModelAdmin):
    list_display = ["name", "hostname", "ip_address", "is_active"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "customer", "server", "status", "starts_on", "ends_on"]
    list_filter = ["kind", "status", "server"]
    search_fields = ["name", "customer__name"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["url", "customer", "cms", "server"]
    list_filter = ["cms", "server"]
    search_fields = ["url", "customer__name"]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["customer", "plan_key", "billing", "status", "starts_on", "ends_on"]
    list_filter = ["plan_key", "billing", "status"]
    search_fields = ["customer__name"]
    filter_horizontal = ["sites"]
