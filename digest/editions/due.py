"""Who is due which edition, and which days' papers it may carry.

A daily edition for local date D carries papers featured (HF) or announced (arXiv) in the
three days before D (so Monday's sees the weekend), a weekly edition (Mondays) the seven
days before D. Every 15 minutes the tick asks who is due: readers whose send hour has come in
their own time zone.
"""

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from subscriptions.models import Subscriber

MONDAY = 0
WINDOW_DAYS = {Subscriber.Frequency.DAILY: 3, Subscriber.Frequency.WEEKLY: 7}
CATCH_UP_HOURS = 4


def edition_window(*, edition: date, frequency: str) -> tuple[date, date]:
    """The first and last day whose papers edition `edition` may carry."""
    return edition - timedelta(days=WINDOW_DAYS[frequency]), edition - timedelta(days=1)


def edition_latest(*, frequency: str, zone: str, now: datetime) -> date:
    """The latest edition of a reader of this frequency in this time zone: today's there, or
    for a weekly reader, this week's Monday's."""
    today = now.astimezone(ZoneInfo(zone)).date()
    if frequency == Subscriber.Frequency.WEEKLY:
        return today - timedelta(days=today.weekday() - MONDAY)
    return today


def edition_after(day: date, *, frequency: str) -> date:
    """The first edition that may carry the papers of `day`: the next day's, or for a weekly
    reader, the next Monday's."""
    if frequency == Subscriber.Frequency.WEEKLY:
        return day + timedelta(days=7 - (day.weekday() - MONDAY))
    return day + timedelta(days=1)


def frequencies_due(edition: date) -> list[str]:
    """Daily readers get every edition; weekly readers the Monday one."""
    if edition.weekday() == MONDAY:
        return [Subscriber.Frequency.DAILY, Subscriber.Frequency.WEEKLY]
    return [Subscriber.Frequency.DAILY]


def subscribers_for_edition(*, edition: date) -> QuerySet[Subscriber]:
    """Subscribers who may be mailed edition `edition`, are due it, and have no delivery
    for it yet."""
    return (Subscriber.objects.mailable(on=edition)
            .filter(frequency__in=frequencies_due(edition))
            .exclude(deliveries__edition=edition))


def subscribers_due(*, now: datetime) -> Iterator[tuple[date, QuerySet[Subscriber]]]:
    """Per time zone: the local edition date, and the subscribers whose hour has come in the
    last few hours (so missed ticks catch up, but a reader who signs up at 23:00 for 08:00
    waits for the morning)."""
    for zone in zones_in_use():
        yield subscribers_due_in(zone, now=now)


def zones_in_use() -> list[str]:
    """The time zones of active readers."""
    active = Subscriber.objects.filter(status=Subscriber.Status.ACTIVE)
    return list(active.values_list("timezone", flat=True).distinct().order_by("timezone"))


def subscribers_due_in(zone: str, *, now: datetime) -> tuple[date, QuerySet[Subscriber]]:
    """The local edition date in `zone` at `now`, and that zone's readers due it then."""
    local = now.astimezone(ZoneInfo(zone))
    return local.date(), subscribers_for_edition(edition=local.date()).filter(
        timezone=zone, send_hour__lte=local.hour, send_hour__gt=local.hour - CATCH_UP_HOURS)
