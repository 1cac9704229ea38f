from django.contrib import admin

from xuala.notify.models import OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "purpose", "to", "subject", "status", "attempts"]
    list_filter = ["status", "purpose"]
    search_fields = ["to", "subject", "message_id"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
