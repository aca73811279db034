"""The operators' dashboard: today's and the last 30 days' figures, as aggregate queries
(one GROUP BY each, on indexed columns) so it stays fast with a million subscribers."""

from datetime import date, datetime, time, timedelta

from django.contrib import admin
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from digest.models import Delivery, DeliveryItem, IngestRun, Vote
from subscriptions.esp_events import Kind
from subscriptions.models import MailEvent, SignupRequest, Subscriber

DAYS = 30
# The ESP events operators watch: a rising line means a list or a sender going bad.
EVENT_ROWS = {Kind.HARD_BOUNCE: "Hard bounces", Kind.SOFT_BOUNCE: "Soft bounces",
              Kind.COMPLAINT: "Complaints"}


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def per_day(rows, *, since: date, days: int, key: str) -> dict[str, list[int]]:
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


def dashboard_figures(*, today: date, days: int = DAYS) -> dict:
    since = today - timedelta(days=days - 1)
    start = _start_of(since)
    by_status = dict(Subscriber.objects.order_by().values_list("status")
                     .annotate(n=Count("pk")).values_list("status", "n"))
    signups = per_day(
        Subscriber.objects.filter(created_at__gte=start).annotate(day=TruncDate("created_at"))
        .order_by().values_list("day").annotate(n=Count("pk"))
        .values_list("day", "day", "n"), since=since, days=days, key="day")
    deliveries = per_day(
        Delivery.objects.filter(edition__gte=since).order_by()
        .values_list("edition", "status").annotate(n=Count("pk")),
        since=since, days=days, key="status")
    events = per_day(
        MailEvent.objects.filter(received_at__gte=start, kind__in=list(EVENT_ROWS))
        .annotate(day=TruncDate("received_at")).order_by()
        .values_list("day", "kind").annotate(n=Count("pk")),
        since=since, days=days, key="kind")
    papers = per_day(
        IngestRun.objects.filter(started_at__gte=start).annotate(day=TruncDate("started_at"))
        .order_by().values_list("day", "source").annotate(n=Sum("created")),
        since=since, days=days, key="source")
    votes = per_day(
        Vote.objects.filter(voted_at__gte=start).annotate(day=TruncDate("voted_at"))
        .order_by().values_list("day", "value").annotate(n=Count("pk")),
        since=since, days=days, key="value")
    return {
        "since": since, "today": today, "days": days,
        "votes": {label: votes.get(str(value), [0] * days)
                  for value, label in Vote.Value.choices},
        "recommended": recommended_upvoted(since=since),
        "subscribers": {"Awaiting confirmation": SignupRequest.objects.filter(
                            confirmed_at=None).count(),
                        **{status.label: by_status.get(status.value, 0)
                           for status in Subscriber.Status}},
        "signups": sum(signups.values(), start=[0] * days) if signups else [0] * days,
        "deliveries": deliveries, "events": events, "papers": papers,
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


def svg_bars(values: list[int], *, label: str, width: int = 150, height: int = 36) -> str:
    """A small bar chart, server-rendered: one bar a day, the last one today."""
    peak = max(values) if values and max(values) > 0 else 1
    step = width / max(len(values), 1)
    bars = format_html_join("", '<rect x="{}" y="{}" width="{}" height="{}">'
                                "<title>{}</title></rect>", (
        (f"{i * step:.1f}", f"{height - value / peak * height:.1f}", f"{max(step - 1, 1):.1f}",
         f"{value / peak * height:.1f}", value) for i, value in enumerate(values)))
    return format_html('<svg class="bars" role="img" aria-label="{}" width="{}" height="{}" '
                       'viewBox="0 0 {} {}">{}</svg>', label, width, height, width, height, bars)


def rows_of(series: dict[str, list[int]], names: list[str], days: int) -> list[dict]:
    return [{"name": name, "today": values[-1], "total": sum(values),
             "chart": svg_bars(values, label=f"{name} per day")}
            for name in names for values in [series.get(name, [0] * days)]]


@admin.site.admin_view
def dashboard(request):
    figures = dashboard_figures(today=timezone.localdate())
    days = figures["days"]
    context = {
        **admin.site.each_context(request), "title": "Paperboy dashboard", **figures,
        "delivery_rows": rows_of(figures["deliveries"], ["sent", "skipped", "failed"], days),
        "event_rows": rows_of({EVENT_ROWS[kind]: values for kind, values
                               in figures["events"].items()}, list(EVENT_ROWS.values()), days),
        "paper_rows": rows_of(figures["papers"], ["hf", "arxiv", "file"], days),
        "vote_rows": rows_of(figures["votes"], list(figures["votes"]), days),
        "signup_chart": svg_bars(figures["signups"], label="sign-ups per day"),
        "signups_today": figures["signups"][-1], "signups_total": sum(figures["signups"]),
    }
    return render(request, "admin/dashboard.html", context)
