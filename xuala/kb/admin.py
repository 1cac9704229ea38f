"""Admin of the knowledge base: articles are saved through the services (which keep the search
index in step); votes are read-only, shown as tallies."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from xuala.kb import selectors, services
from xuala.kb.errors import KbError
from xuala.kb.models import Article, Category, Vote


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name_es", "name_en", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name_es"]}


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "category", "published", "is_policy", "yes_votes",
                    "no_votes", "helpful_ratio", "updated_at"]
    list_filter = ["language", "published", "category", "is_policy"]
    search_fields = ["title", "summary", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["translation_of"]
    fields = ["language", "title", "slug", "category", "translation_of", "summary", "body",
              "published", "position"]
    readonly_fields = ["is_policy", "created_at", "updated_at"]

    def get_queryset(self, request):
        return selectors.articles_with_tallies().select_related("category")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_policy:
            # Its text is rendered from the policy file; only how it is listed can change.
            return [*self.readonly_fields, "language", "title", "slug", "translation_of",
                    "summary", "body"]
        return self.readonly_fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None and obj.is_policy else self.prepopulated_fields

    @admin.display(description=_("yes"), ordering="yes_votes")
    def yes_votes(self, obj):
        return obj.yes_votes

    @admin.display(description=_("no"), ordering="no_votes")
    def no_votes(self, obj):
        return obj.no_votes

    @admin.display(description=_("helpful"))
    def helpful_ratio(self, obj):
        total = obj.yes_votes + obj.no_votes
        return f"{round(100 * obj.yes_votes / total)} %" if total else "—"

    def save_model(self, request, obj, form, change):
        services.article_save(article=obj)

    def delete_model(self, request, obj):
        try:
            services.article_delete(article=obj)
        except KbError as exc:
            messages.error(request, str(exc))

    def delete_queryset(self, request, queryset):
        for article in queryset:
            self.delete_model(request, article)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_policy:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["article", "helpful", "voter_key", "created_at", "updated_at"]
    list_filter = ["helpful", "article__language"]
    readonly_fields = ["article", "helpful", "voter_key", "ip_hash", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
