from django.contrib import admin

from xuala.desk.models import CannedReply, Message, Ticket, TicketEvent


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    readonly_fields = ["kind", "author", "body_text", "created_at", "channel", "message_id"]
    exclude = ["body_html"]
    can_delete = False


class EventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    readonly_fields = ["key", "actor", "at", "data"]
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-mostly: state changes go through the console, which writes the event log."""

    list_display = ["id", "subject", "customer", "ticket_class", "status", "due_at"]
    list_filter = ["status", "ticket_class", "channel"]
    search_fields = ["subject", "customer__name"]
    readonly_fields = [f.name for f in Ticket._meta.fields]
    inlines = [MessageInline, EventInline]

    def has_add_permission(self, request):
        return False


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "language"]
    list_filter = ["language"]
