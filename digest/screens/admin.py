"""Operators' admin for papers, deliveries and ingest runs, and what the readers' screens get
from the papers (a test digest, each topic's matches): added here by extending the
subscriptions app's admin classes, which know nothing of papers. Actions go through the
services the tasks use and each writes an entry in the admin log."""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from digest.deliver.samples import digest_send_test
from digest.deliver.state import deliveries_retry
from digest.models import Delivery, DeliveryItem, IngestRun, Paper, ReaderProfile, Vote
from digest.screens.topic_counts import topic_matches_last_week
from digest.tasks import ingest_run_again, queue_sends
from subscriptions.admin import SubscriberAdmin, TopicAdmin
from subscriptions.models import Subscriber, Topic


class SourceFilter(admin.SimpleListFilter):
    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return [("hf", "Hugging Face"), ("arxiv", "arXiv"), ("both", "Both")]

    def queryset(self, request, queryset):
        featured, announced = Q(featured_on__isnull=False), Q(announced_on__isnull=False)
        return {"hf": queryset.filter(featured),
                "arxiv": queryset.filter(announced),
                "both": queryset.filter(featured & announced)}.get(self.value(), queryset)


class HasCodeFilter(admin.SimpleListFilter):
    title = "code"
    parameter_name = "has_code"

    def lookups(self, request, model_admin):
        return [("yes", "Has code"), ("no", "No code")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(github_repo="")
        if self.value() == "no":
            return queryset.filter(github_repo="")
        return queryset


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["arxiv_id", "title", "featured_on", "announced_on", "upvotes", "github_stars"]
    list_filter = ["featured_on", SourceFilter, HasCodeFilter]
    search_fields = ["arxiv_id", "title", "authors"]
    date_hierarchy = "featured_on"
    readonly_fields = ["links", "sent_to", "created_at", "updated_at"]

    @admin.display(description="Read it")
    def links(self, paper: Paper) -> str:
        return format_html('<a href="{}">arXiv</a> · <a href="{}">Hugging Face</a>',
                           paper.arxiv_url, paper.hf_url)

    @admin.display(description="Sent to")
    def sent_to(self, paper: Paper) -> str:
        count = DeliveryItem.objects.filter(paper=paper, delivery__status="sent").count()
        return f"{count} subscriber{'s' if count != 1 else ''}"


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "source", "request", "status", "created", "updated",
                    "unchanged", "skipped", "finished_at", "error"]
    list_filter = ["status", "source", "started_at"]
    search_fields = ["error", "skip_reasons"]
    actions = ["rerun"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # an audit record

    @admin.action(description="Run the same ingest again")
    def rerun(self, request, queryset):
        queued = 0
        for run in queryset.exclude(source=IngestRun.Source.FILE):
            # (a file run is skipped: the file was the operator's, not ours to read again)
            ingest_run_again.delay(run.pk)
            self.log_change(request, run, "Queued the same ingest again.")
            queued += 1
        self.message_user(request, f"Queued {queued} ingest run{'s' if queued != 1 else ''} "
                                   f"again (file runs are skipped).")


class DeliveryItemInline(admin.TabularInline):
    model = DeliveryItem
    fields = ["rank", "paper", "matched"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["edition", "subscriber", "team", "status", "papers_count", "attempts",
                    "sent_at", "reason"]
    list_filter = ["status", "frequency", "edition"]
    search_fields = ["subscriber__email", "team__address", "esp_message_id"]
    list_select_related = ["subscriber", "team"]
    show_full_result_count = False
    inlines = [DeliveryItemInline]
    actions = ["retry_failed"]
    readonly_fields = ["subscriber", "team", "edition", "frequency", "status", "reason",
                       "esp_message_id", "attempts", "maybe_sent", "created_at", "claimed_at",
                       "sent_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(papers_total=Count("items"))

    @admin.display(description="Papers", ordering="papers_total")
    def papers_count(self, delivery: Delivery) -> int:
        return delivery.papers_total

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # an audit record: deleting one would let its digest be sent again

    @admin.action(description="Retry the failed ones")
    def retry_failed(self, request, queryset):
        retried = deliveries_retry(delivery_ids=list(queryset.values_list("pk", flat=True)))
        for delivery in Delivery.objects.filter(pk__in=retried):
            self.log_change(request, delivery, "Retried by an operator.")
        queue_sends(retried)
        self.message_user(request, f"Queued {len(retried)} failed deliver"
                                   f"{'ies' if len(retried) != 1 else 'y'} again.")


class SubscriberWithDigestsAdmin(SubscriberAdmin):
    """The subscriber admin, with the reader's votes and learned profile, and a test digest
    of the reader's next edition."""

    actions = [*SubscriberAdmin.actions, "send_test_digest"]
    readonly_fields = [*SubscriberAdmin.readonly_fields, "votes_given", "learned_profile"]
    fieldsets = [*SubscriberAdmin.fieldsets[:2],
                 ("Learning", {"fields": ["votes_given", "learned_profile"]}),
                 *SubscriberAdmin.fieldsets[2:]]

    @admin.display(description="“More / Less like this”")
    def votes_given(self, subscriber: Subscriber) -> str:
        votes = subscriber.votes.select_related("paper")[:20]
        if not votes:
            return "No votes yet."
        counts = dict(subscriber.votes.order_by().values_list("value").annotate(n=Count("pk")))
        summary = format_html("{} more, {} less (latest 20 below)",
                              counts.get(Vote.Value.MORE, 0), counts.get(Vote.Value.LESS, 0))
        return format_html("{}<table>{}</table>", summary, format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((f"{vote.voted_at:%Y-%m-%d %H:%M}", vote.get_value_display(), vote.paper.arxiv_id,
              vote.paper.title[:100]) for vote in votes)))

    @admin.display(description="Learned profile")
    def learned_profile(self, subscriber: Subscriber) -> str:
        profile = ReaderProfile.objects.filter(subscriber=subscriber).first()
        if profile is None:
            return ("None: no description, seed papers or votes yet." if not (
                subscriber.description or subscriber.seed_papers) else "Not fitted yet.")
        return format_html("{} profile, fitted {} for the week of {}",
                           profile.kind, f"{profile.fitted_at:%Y-%m-%d %H:%M}", profile.space)

    @admin.action(description="Send me a test digest of each (today's edition, marked [Test])")
    def send_test_digest(self, request, queryset):
        """To the operator's own address, never the reader's: a test must not mail someone
        who may not be mailed."""
        to = request.user.email
        if not to:
            self.message_user(request, "Your account has no email address: add one to get "
                                       "test digests.", messages.ERROR)
            return
        sent = 0
        for subscriber in queryset[:20]:
            if digest_send_test(subscriber=subscriber, edition=timezone.localdate(), to=to):
                self.log_change(request, subscriber, f"Sent a test digest to {to}.")
                sent += 1
        level = messages.SUCCESS if sent else messages.WARNING
        self.message_user(request, f"Test digest sent to {to} for {sent} of "
                                   f"{min(queryset.count(), 20)} (nothing new for the others).",
                          level)


class TopicWithMatchesAdmin(TopicAdmin):
    """The topic catalog, with how many of the last week's papers each topic matches."""

    list_display = [*TopicAdmin.list_display[:3], "matches_last_week",
                    *TopicAdmin.list_display[3:]]

    def changelist_view(self, request, extra_context=None):
        self._matches = topic_matches_last_week()  # every topic in one pass
        return super().changelist_view(request, extra_context)

    @admin.display(description="Matches in the last 7 days")
    def matches_last_week(self, topic: Topic) -> int:
        return getattr(self, "_matches", {}).get(topic.slug, 0)


for model, model_admin in [(Subscriber, SubscriberWithDigestsAdmin),
                           (Topic, TopicWithMatchesAdmin)]:
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
