"""Operators' admin for papers, deliveries and ingest runs, and what the readers' screens get
from the papers (a test digest, each topic's matches): added here by extending the
subscriptions app's admin classes, which know nothing of papers. Actions go through the
services the tasks use and each writes an entry in the admin log."""

from anymail.exceptions import AnymailError
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from digest.deliver.samples import NoTestDigest, digest_send_test
from digest.deliver.send import first_line
from digest.deliver.state import deliveries_retry
from digest.models import Delivery, DeliveryItem, IngestRun, Paper, ReaderProfile, Vote
from digest.screens.describe import ingest_request_text, reasons_text
from digest.screens.topic_counts import topic_matches_last_week
from digest.tasks import ingest_run_again, queue_sends
from subscriptions.admin import SubscriberAdmin, TopicAdmin
from subscriptions.admin_text import shortened
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
    list_display = ["arxiv_id", "short_title", "featured", "announced", "upvotes", "stars"]
    list_filter = ["featured_on", SourceFilter, HasCodeFilter]
    search_fields = ["arxiv_id", "title", "authors"]
    date_hierarchy = "featured_on"
    readonly_fields = ["links", "sent_to", "created_at", "updated_at"]

    @admin.display(description="Title", ordering="title")
    def short_title(self, paper: Paper) -> str:
        return shortened(paper.title)

    @admin.display(description="Featured", ordering="featured_on")
    def featured(self, paper: Paper):
        return paper.featured_on

    @admin.display(description="Announced", ordering="announced_on")
    def announced(self, paper: Paper):
        return paper.announced_on

    @admin.display(description="Stars", ordering="github_stars")
    def stars(self, paper: Paper):
        return paper.github_stars

    @admin.display(description="Read it")
    def links(self, paper: Paper) -> str:
        if not paper.arxiv_id:  # a paper being added
            return "–"
        return format_html('<a href="{}">On this site</a> · <a href="{}">arXiv</a> · '
                           '<a href="{}">Hugging Face</a>',
                           reverse("paper", args=[paper.arxiv_id]), paper.arxiv_url, paper.hf_url)

    @admin.display(description="Sent to")
    def sent_to(self, paper: Paper) -> str:
        count = DeliveryItem.objects.filter(paper=paper, delivery__status="sent").count()
        return f"{count} subscriber{'s' if count != 1 else ''}"


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "asked", "status", "created", "updated", "skipped",
                    "short_error"]
    list_filter = ["status", "source", "started_at"]
    search_fields = ["error", "skip_reasons"]
    actions = ["rerun"]

    @admin.display(description="Asked for")
    def asked(self, run: IngestRun) -> str:
        return ingest_request_text(run)

    @admin.display(description="Error", ordering="error")
    def short_error(self, run: IngestRun) -> str:
        return shortened(run.error)

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
    fields = ["rank", "paper", "why"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("paper")

    @admin.display(description="Why")
    def why(self, item: DeliveryItem) -> str:
        return reasons_text(item.matched)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["edition", "subscriber", "team", "status", "papers_count", "sent_at",
                    "short_reason"]
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

    @admin.display(description="Reason", ordering="reason")
    def short_reason(self, delivery: Delivery) -> str:
        return shortened(delivery.reason)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # an audit record: deleting one would let its digest be sent again

    @admin.action(description="Retry the failed ones")
    def retry_failed(self, request, queryset):
        retried = deliveries_retry(delivery_ids=list(queryset.values_list("pk", flat=True)))
        for delivery in Delivery.objects.filter(pk__in=retried).select_related("subscriber"):
            self.log_change(request, delivery, "Retried by an operator.")
        queue_sends(retried)
        self.message_user(request, f"Queued {len(retried)} failed deliver"
                                   f"{'ies' if len(retried) != 1 else 'y'} again.")


class SubscriberWithDigestsAdmin(SubscriberAdmin):
    """The subscriber admin, with the reader's votes and learned profile, and a test digest
    of the reader's next edition."""

    actions = [*SubscriberAdmin.actions, "send_test_digest"]
    change_form_template = "admin/digest/subscriber_change_form.html"
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

    @admin.action(description="Send me a test digest of each (their latest edition, marked "
                              "[Test])")
    def send_test_digest(self, request, queryset):
        self._send_test_digests(request, list(queryset[:TEST_DIGESTS_AT_ONCE + 1]))

    def get_urls(self):
        return [path("<path:object_id>/test-digest/",
                     self.admin_site.admin_view(self.test_digest_view),
                     name="subscriptions_subscriber_test_digest")] + super().get_urls()

    def test_digest_view(self, request, object_id: str):
        """The change page's "Send me a test digest" button (a POST: it sends mail)."""
        if request.method != "POST" or not self.has_change_permission(request):
            return HttpResponse(status=405 if request.method != "POST" else 403)
        subscriber = get_object_or_404(Subscriber, pk=object_id)
        self._send_test_digests(request, [subscriber])
        return HttpResponseRedirect(reverse("admin:subscriptions_subscriber_change",
                                            args=[subscriber.pk]))

    def _send_test_digests(self, request, subscribers: list[Subscriber]) -> None:
        """Each reader's test digest to the operator's own address, never the reader's (a
        test must not mail someone who may not be mailed). One message for those sent, one
        error per distinct reason for the others."""
        to = request.user.email
        if not to:
            self.message_user(request, "Your account has no email address: add one to get "
                                       "test digests.", messages.ERROR)
            return
        if len(subscribers) > TEST_DIGESTS_AT_ONCE:
            subscribers = subscribers[:TEST_DIGESTS_AT_ONCE]
            self.message_user(request, f"Test digests go {TEST_DIGESTS_AT_ONCE} at a time: "
                                       f"only the first {TEST_DIGESTS_AT_ONCE} were tried.",
                              messages.WARNING)
        sent, failed = [], {}
        for subscriber in subscribers:
            try:
                edition = digest_send_test(subscriber=subscriber, to=to)
            except NoTestDigest as error:
                failed.setdefault(str(error), []).append(subscriber.email)
            except (AnymailError, OSError) as error:
                failed.setdefault(f"the mail was not sent ({first_line(error)})",
                                  []).append(subscriber.email)
            else:
                self.log_change(request, subscriber,
                                f"Sent a test digest of the {edition} edition to {to}.")
                sent.append(subscriber.email)
        if sent:
            self.message_user(request, f"Test digest sent to {to} for {_listed(sent)}.",
                              messages.SUCCESS)
        for reason, emails in failed.items():
            self.message_user(request, f"No test digest for {_listed(emails)}: {reason}.",
                              messages.ERROR)


TEST_DIGESTS_AT_ONCE = 20


def _listed(emails: list[str]) -> str:
    """"a@x, b@y and 3 others"."""
    if len(emails) <= 3:
        return ", ".join(emails)
    return f"{', '.join(emails[:2])} and {len(emails) - 2} others"


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
