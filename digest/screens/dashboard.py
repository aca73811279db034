"""The operators' dashboard: today's and the last 30 days' figures, in the operators' time
zone (settings.TIME_ZONE), as aggregate queries (one GROUP BY each, bounded by an indexed
column) so it stays fast with a million subscribers."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib import admin
from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.shortcuts import render
from django.utils import timezone

from digest.models import Delivery, DeliveryItem, IngestRun, Vote
from digest.screens.charts import Series, stacked_bars
from digest.screens.describe import ingest_request_text
from subscriptions.admin_text import shortened
from subscriptions.esp_events import Kind
from subscriptions.models import MailEvent, SignupRequest, Subscriber

DAYS = 30
# The ESP events operators watch: a rising line means a list or a sender going bad.
EVENT_ROWS = {Kind.HARD_BOUNCE: "Hard bounces", Kind.SOFT_BOUNCE: "Soft bounces",
              Kind.COMPLAINT: "Complaints"}
DELIVERY_ROWS = {Delivery.Status.SENT: "Sent", Delivery.Status.SKIPPED: "Skipped",
                 Delivery.Status.FAILED: "Failed"}
# A digest leaves on its edition's day in its reader's zone, or a few hours later on a
# retry: a day either side of the operators' zone, and more for an operator's late retry.
EDITION_SLACK_DAYS = 3


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def per_day(rows, *, since: date, days: int) -> dict[str, list[int]]:
    """{series: [count per day since `since`]} from rows of (day, series, count)."""
    series: dict[str, list[int]] = {}
    for day, name, count in rows:
        if day is None:
            continue
        day = day.date() if isinstance(day, datetime) else day
        index = (day - since).days
        if 0 <= index < days:
            series.setdefault(str(name), [0] * days)[index] += count or 0
    return series


def deliveries_by_day_left(*, since: date, days: int) -> dict[str, list[int]]:
    """Sent, failed and skipped digests by the day (operators' time) the mail left: when it
    was sent; for a failure, its last try; for a skip, when it was decided. Read through the
    edition's index, a few days wider than the window."""
    left = Coalesce("sent_at", "claimed_at", "created_at")
    return per_day(
        Delivery.objects.filter(edition__gte=since - timedelta(days=EDITION_SLACK_DAYS),
                                status__in=list(DELIVERY_ROWS))
        .annotate(left=left).filter(left__gte=_start_of(since))
        .annotate(day=TruncDate("left")).order_by()
        .values_list("day", "status").annotate(n=Count("pk")),
        since=since, days=days)


def dashboard_figures(*, today: date, days: int = DAYS) -> dict:
    since = today - timedelta(days=days - 1)
    start = _start_of(since)
    by_status = dict(Subscriber.objects.order_by().values_list("status")
                     .annotate(n=Count("pk")).values_list("status", "n"))
    signups = per_day(
        ((day, "Sign-ups", n) for day, n in Subscriber.objects.filter(created_at__gte=start)
         .annotate(day=TruncDate("created_at")).order_by().values_list("day")
         .annotate(n=Count("pk"))), since=since, days=days)
    events = per_day(
        MailEvent.objects.filter(received_at__gte=start, kind__in=list(EVENT_ROWS))
        .annotate(day=TruncDate("received_at")).order_by()
        .values_list("day", "kind").annotate(n=Count("pk")),
        since=since, days=days)
    papers = per_day(
        IngestRun.objects.filter(started_at__gte=start).annotate(day=TruncDate("started_at"))
        .order_by().values_list("day", "source").annotate(n=Sum("created")),
        since=since, days=days)
    deliveries = deliveries_by_day_left(since=since, days=days)
    votes = per_day(
        Vote.objects.filter(voted_at__gte=start).annotate(day=TruncDate("voted_at"))
        .order_by().values_list("day", "value").annotate(n=Count("pk")),
        since=since, days=days)
    return {
        "since": since, "today": today, "days": days,
        "subscribers": {"Awaiting confirmation": SignupRequest.objects.filter(
                            confirmed_at=None).count(),
                        **{status.label: by_status.get(status.value, 0)
                           for status in Subscriber.Status}},
        "signups": {"Sign-ups": signups.get("Sign-ups", [0] * days)},
        "deliveries": {label: deliveries.get(status, [0] * days)
                       for status, label in DELIVERY_ROWS.items()},
        "events": {label: events.get(kind, [0] * days) for kind, label in EVENT_ROWS.items()},
        "papers": {source.label: papers.get(source.value, [0] * days)
                   for source in IngestRun.Source},
        "votes": {label: votes.get(str(value), [0] * days)
                  for value, label in Vote.Value.choices},
        "recommended": recommended_upvoted(since=since),
        "runs": IngestRun.objects.order_by("-started_at")[:10],
    }


def recommended_upvoted(*, since: date) -> dict:
    """Recommended papers sent since `since`, and how many of them the reader then voted
    "More like this" on: how often the learned ranking's own picks please."""
    sent = DeliveryItem.objects.filter(delivery__edition__gte=since, delivery__status="sent",
                                       matched__0__recommended=True)
    total = sent.count()
    upvoted = sent.filter(paper__votes__value=Vote.Value.MORE,
                          paper__votes__subscriber=F("delivery__subscriber")).count()
    return {"sent": total, "upvoted": upvoted,
            "share": f"{upvoted / total:.0%}" if total else "–"}


@dataclass(frozen=True)
class Panel:
    """A section's figures: a row per series (its colour, today, the window's total) and
    their chart."""

    title: str
    note: str
    rows: list[dict]
    chart: str


def panel(title: str, series: dict[str, list[int]], *, since: date, note: str = "") -> Panel:
    shown = [Series(name, values) for name, values in series.items()]
    rows = [{"name": one.name, "index": index, "today": one.values[-1],
             "total": sum(one.values)} for index, one in enumerate(shown)]
    label = f"{title} per day, the last {len(shown[0].values)} days"
    return Panel(title, note, rows, stacked_bars(shown, first_day=since, label=label))


def run_rows(runs) -> list[dict]:
    """The last ingest runs, each column in words."""
    return [{"started": run.started_at, "asked": ingest_request_text(run),
             "status": run.get_status_display(), "created": run.created,
             "updated": run.updated, "skipped": run.skipped,
             "error": shortened(run.error, length=80)} for run in runs]


@admin.site.admin_view
def dashboard(request):
    figures = dashboard_figures(today=timezone.localdate())
    since = figures["since"]
    context = {
        **admin.site.each_context(request), "title": "Paperboy dashboard", **figures,
        "time_zone": settings.TIME_ZONE,
        "signups_panel": panel("Sign-ups", figures["signups"], since=since,
                               note="new readers: confirmed or imported"),
        "panels": [
            panel("Deliveries", figures["deliveries"], since=since,
                  note="by the time the mail left (a failure: its last try)"),
            panel("Bounces and complaints", figures["events"], since=since,
                  note="as the mail service reported them"),
            panel("Papers ingested", figures["papers"], since=since,
                  note="new papers stored, by source"),
            panel("Votes", figures["votes"], since=since,
                  note="“More like this” and “Less like this” clicks"),
        ],
        "run_rows": run_rows(figures["runs"]),
    }
    return render(request, "admin/dashboard.html", context)
