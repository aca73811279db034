"""Operators' admin for teams. An operator creates a team like a reader does (its address
confirms from a mailed link before anything is sent; the members named below are mailed
invitations and count once they accept), edits its name and schedule, and stops it; never
its status or its members' confirmations. Registered from subscriptions.apps."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils import timezone

from subscriptions.models import Team, TeamMember
from subscriptions.teams.membership import (
    MAX_MEMBERS,
    team_address_ask,
    team_invitations_send,
    team_suppress,
)


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    fields = ["email", "name", "subscriber", "invited_at", "confirmed_at"]
    readonly_fields = ["subscriber", "invited_at", "confirmed_at"]
    extra = 3
    max_num = MAX_MEMBERS
    verbose_name = "member"
    verbose_name_plural = "Members (each added address is mailed an invitation)"

    def get_readonly_fields(self, request, obj=None):
        # A member's address is what they confirmed: never changed, only removed.
        return [*self.readonly_fields, "email"] if obj else self.readonly_fields


class TeamAdminForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "address", "frequency", "timezone", "send_hour", "papers_per_email",
                  "paused_until"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamAdminForm
    list_display = ["name", "address", "status", "members_count", "frequency", "timezone",
                    "send_hour", "papers_per_email", "created_at"]
    list_filter = ["status", "frequency", "timezone", "created_at"]
    search_fields = ["name", "address", "members__email"]
    inlines = [TeamMemberInline]
    raw_id_fields = ["owner"]
    actions = ["ask_to_confirm", "suppress", "resend_invitations"]
    readonly_fields = ["owner", "status", "status_changed_at", "confirmed_at", "created_at",
                       "last_deliveries"]

    def get_readonly_fields(self, request, obj=None):
        # The address is what confirmed: a new address is a new team.
        return [*self.readonly_fields, "address"] if obj else self.readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            members_total=Count("members"),
            members_confirmed=Count("members", filter=Q(members__confirmed_at__isnull=False)))

    @admin.display(description="Members (confirmed / in all)")
    def members_count(self, team: Team) -> str:
        return f"{team.members_confirmed} / {team.members_total}"

    @admin.display(description="Last deliveries")
    def last_deliveries(self, team: Team) -> str:
        rows = team.deliveries.all()[:10]
        return "; ".join(f"{row.edition} {row.get_status_display()}" + (
            f" ({row.reason})" if row.reason else "") for row in rows) or "None yet."

    def save_model(self, request, obj: Team, form, change):
        super().save_model(request, obj, form, change)
        if not change:  # a new team waits for its address to confirm, and asks it
            team_address_ask(team=obj, by_operator=True)

    def save_formset(self, request, form, formset, change):
        members = formset.save(commit=False)
        for member in formset.new_objects:
            member.invited_at = timezone.now()
        for member in members:
            member.save()
        for member in formset.deleted_objects:
            member.delete()
        team_invitations_send(members=formset.new_objects)

    @admin.action(description="Mail the address a link to confirm (again)")
    def ask_to_confirm(self, request, queryset):
        done = 0
        for team in queryset:
            if team_address_ask(team=team, by_operator=True):
                self.log_change(request, team, "Mailed the address a link to confirm.")
                done += 1
        self.message_user(request, f"Asked {done} of {queryset.count()} (active teams need "
                                   f"not confirm).")

    @admin.action(description="Suppress: stop all mail to these teams")
    def suppress(self, request, queryset):
        done = 0
        for team in queryset:
            if team_suppress(team=team, now=timezone.now()):
                self.log_change(request, team, "Suppressed: all mail stopped.")
                done += 1
        self.message_user(request, f"Suppressed {done} of {queryset.count()}.",
                          messages.SUCCESS if done else messages.WARNING)

    @admin.action(description="Mail the open invitations again")
    def resend_invitations(self, request, queryset):
        open_ones = list(TeamMember.objects.filter(team__in=queryset, confirmed_at=None))
        team_invitations_send(members=open_ones)
        self.message_user(request, f"Invitations mailed again: {len(open_ones)} (to readers' "
                                   f"addresses only).")
