"""Operators' admin for subscribers and topics. Actions call the same services as the site
and the tasks, and each writes an entry in the admin log."""

import csv

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from digest.dispatch import digest_send_test
from digest.filters import CATEGORY
from digest.topics import topic_matches_last_week
from subscriptions.forms import InterestLinesField
from subscriptions.models import MailEvent, Subscriber, Topic
from subscriptions.services import (
    subscriber_resend_confirmation,
    subscriber_suppress,
    subscriber_unsuppress,
)


class SubscriberForm(forms.ModelForm):
    class Meta:
        model = Subscriber
        fields = ["email", "status", "status_reason", "topics", "interests", "authors",
                  "min_upvotes", "papers_per_email", "frequency", "timezone", "send_hour",
                  "paused_until"]
        field_classes = {"interests": InterestLinesField}


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Reason", widget=forms.TextInput(
        attrs={"size": 60}))


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    form = SubscriberForm
    list_display = ["email", "status", "frequency", "timezone", "send_hour", "created_at"]
    list_filter = ["status", "frequency", "topics", "timezone", "created_at"]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    filter_horizontal = ["topics"]
    list_per_page = 100
    show_full_result_count = False  # no COUNT(*) over a million rows on every page
    actions = ["resend_confirmation", "send_test_digest", "suppress", "unsuppress", "export_csv"]
    readonly_fields = ["token", "consent_at", "consent_ip", "status_changed_at", "created_at",
                       "updated_at", "last_deliveries", "mail_events"]
    fieldsets = [
        (None, {"fields": ["email", "status", "status_reason", "status_changed_at"]}),
        ("What they follow", {"fields": ["topics", "interests", "authors", "min_upvotes",
                                         "papers_per_email"]}),
        ("When", {"fields": ["frequency", "timezone", "send_hour", "paused_until"]}),
        ("History", {"fields": ["last_deliveries", "mail_events"]}),
        ("Consent", {"fields": ["consent_at", "consent_ip", "token", "created_at", "updated_at"]}),
    ]

    @admin.display(description="Last deliveries")
    def last_deliveries(self, subscriber: Subscriber) -> str:
        rows = subscriber.deliveries.annotate(papers_count=Count("items"))[:10]
        if not rows:
            return "None yet."
        return format_html("<table>{}</table>", format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{} papers</td><td>{}</td></tr>",
            ((d.edition, d.get_status_display(), d.papers_count, d.reason) for d in rows)))

    @admin.display(description="ESP events")
    def mail_events(self, subscriber: Subscriber) -> str:
        events = subscriber.mail_events.all()[:10]
        if not events:
            return "None."
        return format_html("<table>{}</table>", format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e.received_at.strftime("%Y-%m-%d %H:%M"), e.event_type, e.description)
             for e in events)))

    def _log(self, request, subscriber: Subscriber, message: str) -> None:
        self.log_change(request, subscriber, message)

    @admin.action(description="Resend the confirmation mail (pending only)")
    def resend_confirmation(self, request, queryset):
        done = 0
        for subscriber in queryset:
            if subscriber_resend_confirmation(subscriber=subscriber):
                self._log(request, subscriber, "Resent the confirmation mail.")
                done += 1
        self.message_user(request, f"Confirmation resent to {done} of {queryset.count()}.")

    @admin.action(description="Send a test digest now (today's edition, marked [Test])")
    def send_test_digest(self, request, queryset):
        sent = 0
        for subscriber in queryset[:20]:
            if digest_send_test(subscriber=subscriber, edition=timezone.localdate()):
                self._log(request, subscriber, "Sent a test digest.")
                sent += 1
        level = messages.SUCCESS if sent else messages.WARNING
        self.message_user(request, f"Test digest sent to {sent} of "
                                   f"{min(queryset.count(), 20)} (nothing new for the others).",
                          level)

    def _with_reason(self, request, queryset, *, title: str, apply) -> HttpResponse | None:
        form = ReasonForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            done = 0
            for subscriber in queryset:
                if apply(subscriber=subscriber, reason=form.cleaned_data["reason"],
                         now=timezone.now()):
                    self._log(request, subscriber, f"{title}: {form.cleaned_data['reason']}")
                    done += 1
            self.message_user(request, f"{title}: {done} of {queryset.count()}.")
            return None
        return render(request, "admin/subscriptions/reason.html", {
            **self.admin_site.each_context(request), "title": title, "form": form,
            "subscribers": queryset[:50], "count": queryset.count(),
            "action": request.POST["action"],
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "opts": self.model._meta})

    @admin.action(description="Suppress: stop all mail (asks for a reason)")
    def suppress(self, request, queryset):
        return self._with_reason(request, queryset, title="Suppressed",
                                 apply=subscriber_suppress)

    @admin.action(description="Unsuppress (asks for a reason)")
    def unsuppress(self, request, queryset):
        return self._with_reason(request, queryset, title="Unsuppressed",
                                 apply=subscriber_unsuppress)

    @admin.action(description="Export the selection as CSV")
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="subscribers.csv"'
        writer = csv.writer(response)
        writer.writerow(["email", "status", "frequency", "timezone", "send_hour", "interests",
                         "topics", "created_at", "consent_at"])
        topics = {}
        through = Subscriber.topics.through.objects.filter(subscriber__in=queryset)
        for subscriber_id, slug in through.values_list("subscriber_id", "topic__slug"):
            topics.setdefault(subscriber_id, []).append(slug)
        for s in queryset.iterator(chunk_size=2000):
            writer.writerow([s.email, s.status, s.frequency, s.timezone, s.send_hour,
                             ";".join(s.interest_lines), ";".join(topics.get(s.pk, [])),
                             s.created_at.isoformat(),
                             s.consent_at.isoformat() if s.consent_at else ""])
        self.message_user(request, "Exported.")
        return response


class TopicForm(forms.ModelForm):
    class Meta:
        model = Topic
        fields = ["name", "slug", "description", "interests", "categories", "position",
                  "is_active"]
        field_classes = {"interests": InterestLinesField}

    def clean_categories(self) -> str:
        categories = self.cleaned_data["categories"].split()
        bad = [c for c in categories if not CATEGORY.fullmatch(c)]
        if bad:
            raise forms.ValidationError(f"“{bad[0]}” is not an arXiv category such as cs.CL.")
        return " ".join(categories)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    form = TopicForm
    list_display = ["name", "slug", "categories", "matches_last_week", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug", "interests", "categories"]
    prepopulated_fields = {"slug": ["name"]}

    def changelist_view(self, request, extra_context=None):
        self._matches = topic_matches_last_week()  # every topic in one pass
        return super().changelist_view(request, extra_context)

    @admin.display(description="Matches in the last 7 days")
    def matches_last_week(self, topic: Topic) -> int:
        return getattr(self, "_matches", {}).get(topic.slug, 0)


@admin.register(MailEvent)
class MailEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "event_type", "recipient", "description"]
    list_filter = ["event_type", "received_at"]
    search_fields = ["recipient", "esp_message_id", "event_id"]
    readonly_fields = [f.name for f in MailEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
