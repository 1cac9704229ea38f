from django.contrib import admin

from xuala.policy.models import PolicyVersion


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ["id", "sha256", "source_name", "loaded_at"]
    readonly_fields = ["sha256", "source", "source_name", "loaded_at"]

    def has_add_permission(self, request):
        return False
