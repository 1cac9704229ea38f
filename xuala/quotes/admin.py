from django.contrib import admin

from xuala.quotes.models import Quote, QuoteLine


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0
    can_delete = False
    readonly_fields = ["position", "description", "kind", "recurrence", "quantity", "unit_price"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    """Read-only: quotes change through the console and the client area (services)."""

    list_display = ["number", "customer", "ticket", "status", "valid_until", "decided_at"]
    list_filter = ["status", "year"]
    search_fields = ["number", "customer__name"]
    readonly_fields = [f.name for f in Quote._meta.fields]
    inlines = [QuoteLineInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
