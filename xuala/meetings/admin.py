"""Admin of meetings: read-mostly views for support staff; changes go through the console."""

from django.contrib import admin

from xuala.meetings.models import (
    AgentAvailability,
    AgentProfile,
    AvailabilityException,
    Meeting,
    MeetingRequest,
)


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["agent", "timezone"]


@admin.register(AgentAvailability)
class AgentAvailabilityAdmin(admin.ModelAdmin):
    list_display = ["agent", "weekday", "starts", "ends"]
    list_filter = ["weekday"]


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(admin.ModelAdmin):
    list_display = ["agent", "date", "kind", "starts", "ends"]
    list_filter = ["kind"]


@admin.register(MeetingRequest)
class MeetingRequestAdmin(admin.ModelAdmin):
    list_display = ["pk", "ticket", "customer", "agent", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["ticket", "customer", "agent"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["uid", "agent", "starts_at", "status", "sequence", "reminder_sent_at"]
    list_filter = ["status"]
    raw_id_fields = ["request", "agent"]
    # The iCalendar identity must not be edited by hand: calendars would lose the event.
    readonly_fields = ["uid", "sequence"]
