"""Operators' read-only lists of who follows which paper and of the changes ingestion noticed
on followed papers (with how many readers have been told of each)."""

from django.contrib import admin
from django.db.models import Count

from digest.models import Follow, PaperEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the readers' clicks and ingestion write: operators look, never edit."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Follow)
class FollowAdmin(ReadOnlyAdmin):
    list_display = ["paper", "subscriber", "followed_at"]
    list_select_related = ["paper", "subscriber"]
    search_fields = ["subscriber__email", "paper__arxiv_id", "paper__title"]
    date_hierarchy = "followed_at"


@admin.register(PaperEvent)
class PaperEventAdmin(ReadOnlyAdmin):
    list_display = ["paper", "kind", "value", "noticed_at", "readers_told"]
    list_filter = ["kind", "noticed_at"]
    list_select_related = ["paper"]
    search_fields = ["paper__arxiv_id", "paper__title"]
    date_hierarchy = "noticed_at"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(told_count=Count("told"))

    @admin.display(description="Readers told", ordering="told_count")
    def readers_told(self, event: PaperEvent) -> int:
        return event.told_count
