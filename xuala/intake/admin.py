"""Admin for inbound mail: what arrived, what was done, and the raw message for staff."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from xuala.intake.models import InboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ("received_at", "path", "from_address", "subject", "status", "outcome",
                    "ticket", "attempts")
    list_filter = ("status", "outcome", "path")
    search_fields = ("message_id", "from_address", "subject", "envelope_from")
    date_hierarchy = "received_at"
    list_select_related = ("ticket",)
    readonly_fields = (
        "message_key", "message_id", "raw_download", "raw_size", "raw_sha256", "raw_file",
        "path", "envelope_from", "envelope_to", "client_ip", "helo", "received_at",
        "from_address", "subject", "status", "outcome", "detail", "ticket", "error",
        "attempts", "next_attempt_at", "processed_at", "claimed_user", "sender_confirmed_at",
    )
    exclude = ("confirm_token",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("raw")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="raw message")
    def raw_download(self, obj: InboundMessage) -> str:
        url = reverse("admin:intake_inboundmessage_raw", args=[obj.pk])
        return format_html('<a href="{}">Download .eml ({} bytes)</a>', url, obj.raw_size)

    def get_urls(self):
        own = [path("<int:pk>/raw/", self.admin_site.admin_view(self.raw_view),
                    name="intake_inboundmessage_raw")]
        return own + super().get_urls()

    def raw_view(self, request, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        message = get_object_or_404(InboundMessage, pk=pk)
        response = HttpResponse(message.raw_bytes(), content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="inbound-{message.pk}.eml"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
