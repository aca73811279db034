"""Operators' admin for subscribers and topics. A reader's status is never edited here: every
change goes through subscriptions.consent with the operator's name and a reason, and shows in
the reader's history. Actions call the same services as the site and the tasks, and each
writes an entry in the admin log. No token or signed link is ever shown.

What needs the papers (a test digest, a topic's matches) is added from the digest side
(digest.screens.admin extends these classes), so this app never imports digest."""

from collections.abc import Iterator

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import pluralize
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from subscriptions import tasks
from subscriptions.admin_text import shortened
from subscriptions.consent import (
    operator,
    subscriber_ask_to_confirm,
    subscriber_lift_suppression,
    subscriber_send_manage_link,
    subscriber_suppress,
)
from subscriptions.filters import CATEGORY
from subscriptions.forms import InterestLinesField
from subscriptions.models import (
    HistoryEntry,
    MailEvent,
    SignupRequest,
    Subscriber,
    Topic,
    split_lines,
)
from subscriptions.seeds import SeedError, seeds_parse
from subscriptions.spreadsheets import csv_response


class SubscriberForm(forms.ModelForm):
    """What a reader follows and when: never their status, address or consent."""

    class Meta:
        model = Subscriber
        fields = ["topics", "interests", "authors", "description", "seed_papers",
                  "recommendations", "min_upvotes", "papers_per_email", "frequency", "timezone",
                  "send_hour", "paused_until"]
        field_classes = {"interests": InterestLinesField}

    def clean_seed_papers(self) -> str:
        try:
            return "\n".join(seeds_parse(self.cleaned_data["seed_papers"]))
        except SeedError as error:
            raise forms.ValidationError(str(error)) from None


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Reason", widget=forms.TextInput(
        attrs={"size": 60}))


class HistoryInline(admin.TabularInline):
    model = HistoryEntry
    fields = ["at", "actor", "action", "old_status", "new_status", "reason", "ip"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "History (consent and status)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Consent actions that need the operator's reason: (title, service).
WITH_REASON = {
    "suppress": ("Suppress", subscriber_suppress),
    "lift_suppression": ("Lift the suppression", subscriber_lift_suppression),
    "ask_to_confirm": ("Ask to confirm again", subscriber_ask_to_confirm),
}


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    form = SubscriberForm
    change_form_template = "admin/subscriptions/subscriber/change_form.html"
    list_display = ["email", "status", "frequency", "timezone", "send_hour", "created_at"]
    list_filter = ["status", "frequency", "topics", "timezone", "created_at"]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    filter_horizontal = ["topics"]
    list_per_page = 100
    show_full_result_count = False  # no COUNT(*) over a million rows on every page
    inlines = [HistoryInline]
    actions = ["suppress", "lift_suppression", "ask_to_confirm", "send_manage_link",
               "export_csv"]
    readonly_fields = ["email", "status", "status_changed_at", "consent_at", "consent_ip",
                       "created_at", "updated_at", "last_deliveries", "mail_events"]
    fieldsets = [
        (None, {"fields": ["email", "status", "status_changed_at"]}),
        ("What they follow", {"fields": ["topics", "interests", "authors", "description",
                                         "seed_papers", "recommendations", "min_upvotes",
                                         "papers_per_email"]}),
        ("When", {"fields": ["frequency", "timezone", "send_hour", "paused_until"]}),
        ("Deliveries and ESP events", {"fields": ["last_deliveries", "mail_events"]}),
        ("Consent", {"fields": ["consent_at", "consent_ip", "created_at", "updated_at"]}),
    ]

    def has_add_permission(self, request):
        return False  # readers opt in themselves, or come through an import

    def has_delete_permission(self, request, obj=None):
        return False  # the record of an opt-out is what keeps an address from being mailed

    @admin.display(description="Last deliveries")
    def last_deliveries(self, subscriber: Subscriber) -> str:
        # Newest first, said explicitly: a grouped query drops the model's ordering.
        rows = subscriber.deliveries.annotate(papers_count=Count("items")).order_by(
            "-edition")[:10]
        if not rows:
            return "None yet."
        return format_html("<table>{}</table>", format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{} paper{}</td><td>{}</td></tr>",
            ((date_format(d.edition, "D j M Y"), d.get_status_display(), d.papers_count,
              pluralize(d.papers_count), d.reason) for d in rows)))

    @admin.display(description="ESP events")
    def mail_events(self, subscriber: Subscriber) -> str:
        events = subscriber.mail_events.all()[:10]
        if not events:
            return "None."
        return format_html("<table>{}</table>", format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e.received_at.strftime("%Y-%m-%d %H:%M"), e.get_kind_display(), e.description)
             for e in events)))

    # --- consent actions: from the list (a selection) or the change page (one reader) ---

    def get_urls(self):
        return [path("<path:object_id>/consent/<str:action>/",
                     self.admin_site.admin_view(self.consent_view),
                     name="subscriptions_subscriber_consent")] + super().get_urls()

    def consent_view(self, request, object_id: str, action: str):
        if action not in WITH_REASON or not self.has_change_permission(request):
            return HttpResponse(status=404)
        subscriber = get_object_or_404(Subscriber, pk=object_id)
        change = reverse("admin:subscriptions_subscriber_change", args=[subscriber.pk])
        answer = self._with_reason(request, Subscriber.objects.filter(pk=subscriber.pk),
                                   action=action, from_list=False)
        return answer or HttpResponseRedirect(change)

    def _with_reason(self, request, queryset, *, action: str,
                     from_list: bool = True) -> HttpResponse | None:
        """Ask for the reason, then apply the action to each reader with it."""
        title, service = WITH_REASON[action]
        form = ReasonForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            reason, done = form.cleaned_data["reason"], 0
            for subscriber in queryset:
                if service(subscriber=subscriber, actor=operator(request.user.get_username()),
                           reason=reason, now=timezone.now()):
                    self.log_change(request, subscriber, f"{title}: {reason}")
                    done += 1
            count = queryset.count()
            self.message_user(request, f"{title}: {done} of {count}."
                              + ("" if done == count else " The others were not in a state "
                                 "this applies to."),
                              messages.SUCCESS if done else messages.WARNING)
            return None
        return render(request, "admin/subscriptions/reason.html", {
            **self.admin_site.each_context(request), "title": title, "form": form,
            "subscribers": queryset[:50], "count": queryset.count(),
            "action": action if from_list else "", "from_list": from_list,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "opts": self.model._meta})

    @admin.action(description="Suppress: stop all mail (asks for a reason)")
    def suppress(self, request, queryset):
        return self._with_reason(request, queryset, action="suppress")

    @admin.action(description="Lift an operator's suppression (asks for a reason)")
    def lift_suppression(self, request, queryset):
        return self._with_reason(request, queryset, action="lift_suppression")

    @admin.action(description="Ask to confirm again: mail a fresh opt-in (asks for a reason)")
    def ask_to_confirm(self, request, queryset):
        return self._with_reason(request, queryset, action="ask_to_confirm")

    @admin.action(description="Send the reader a fresh manage link")
    def send_manage_link(self, request, queryset):
        done = 0
        for subscriber in queryset:
            if subscriber_send_manage_link(subscriber=subscriber,
                                           actor=operator(request.user.get_username()),
                                           now=timezone.now()):
                self.log_change(request, subscriber, "Sent a fresh manage link.")
                done += 1
        self.message_user(request, f"Manage link sent to {done} of {queryset.count()} "
                                   f"(active or unsubscribed readers only).")

    @admin.action(description="Export the selection as CSV")
    def export_csv(self, request, queryset):
        return csv_response(filename="subscribers.csv", header=EXPORT_COLUMNS,
                            rows=subscribers_export_rows(queryset))


EXPORT_COLUMNS = ["email", "status", "frequency", "timezone", "send_hour", "interests", "topics",
                  "created_at", "consent_at"]
EXPORT_CHUNK = 2000  # readers read at a time, with their topics


def subscribers_export_rows(queryset) -> Iterator[list[object]]:
    """The export's rows, read EXPORT_CHUNK readers at a time (the topics of each chunk in one
    query), so a million readers are never in memory at once."""
    readers = queryset.values_list("pk", "email", "status", "frequency", "timezone",
                                   "send_hour", "interests", "created_at", "consent_at")
    chunk = []
    for reader in readers.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(reader)
        if len(chunk) == EXPORT_CHUNK:
            yield from _export_chunk(chunk)
            chunk = []
    yield from _export_chunk(chunk)


def _export_chunk(readers: list[tuple]) -> Iterator[list[object]]:
    topics = {}
    through = Subscriber.topics.through.objects.filter(
        subscriber_id__in=[reader[0] for reader in readers])
    for subscriber_id, slug in through.order_by("pk").values_list("subscriber_id",
                                                                 "topic__slug"):
        topics.setdefault(subscriber_id, []).append(slug)
    for pk, email, status, frequency, zone, hour, interests, created_at, consent_at in readers:
        yield [email, status, frequency, zone, hour, ";".join(split_lines(interests)),
               ";".join(topics.get(pk, [])), created_at.isoformat(),
               consent_at.isoformat() if consent_at else ""]


@admin.register(SignupRequest)
class SignupRequestAdmin(admin.ModelAdmin):
    """Sign-ups waiting for their owner: read-only, deleted when their link expires."""

    list_display = ["email", "origin", "requested_at", "confirmed_at"]
    list_filter = ["origin", "requested_at"]
    search_fields = ["email"]
    fields = ["email", "origin", "requested_at", "confirmed_at", "preferences"]
    readonly_fields = fields
    actions = ["resend_confirmation"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Resend the confirmation mail (open requests only)")
    def resend_confirmation(self, request, queryset):
        done = 0
        for signup in queryset.filter(confirmed_at=None):
            tasks.send_confirmation.delay_on_commit(signup.pk)
            self.log_change(request, signup, "Resent the confirmation mail.")
            done += 1
        self.message_user(request, f"Confirmation resent to {done} of {queryset.count()}.")


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
    list_display = ["name", "slug", "categories", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug", "interests", "categories"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(MailEvent)
class MailEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "kind", "recipient", "what_happened"]
    list_filter = ["kind", "event_type", "received_at"]
    search_fields = ["recipient", "esp_message_id", "event_id"]
    readonly_fields = [f.name for f in MailEvent._meta.fields]

    @admin.display(description="Description", ordering="description")
    def what_happened(self, event: MailEvent) -> str:
        return shortened(event.description)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # an audit record
