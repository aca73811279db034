"""Editions: who is due, which papers an edition may carry, and its Delivery rows.

A daily edition for local date D carries papers featured (HF) or announced (arXiv) in the
three days before D (so Monday's sees the weekend), a weekly edition (Mondays) the seven
days before D; either way only papers the reader has not been sent before.
"""

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Max, Q, QuerySet

from digest.match.index import PaperIndex
from digest.match.inputs import paper_docs, papers_between, readers_for, topic_lines
from digest.match.matching import Matches, match
from digest.match.readers import compile_readers
from digest.models import Delivery, DeliveryItem
from subscriptions.models import Subscriber

MONDAY = 0
WINDOW_DAYS = {Subscriber.Frequency.DAILY: 3, Subscriber.Frequency.WEEKLY: 7}
BATCH = 2000  # readers written per transaction
CATCH_UP_HOURS = 4
NO_MATCHES = "no matches"


def edition_window(*, edition: date, frequency: str) -> tuple[date, date]:
    """The first and last day whose papers edition `edition` may carry."""
    return edition - timedelta(days=WINDOW_DAYS[frequency]), edition - timedelta(days=1)


def frequencies_due(edition: date) -> list[str]:
    """Daily readers get every edition; weekly readers the Monday one."""
    if edition.weekday() == MONDAY:
        return [Subscriber.Frequency.DAILY, Subscriber.Frequency.WEEKLY]
    return [Subscriber.Frequency.DAILY]


def subscribers_for_edition(*, edition: date) -> QuerySet[Subscriber]:
    """Active, unpaused subscribers due edition `edition` who have no delivery for it yet."""
    return (
        Subscriber.objects.filter(status=Subscriber.Status.ACTIVE,
                                  frequency__in=frequencies_due(edition))
        .filter(Q(paused_until__isnull=True) | Q(paused_until__lt=edition))
        .exclude(deliveries__edition=edition)
    )


def subscribers_due(*, now: datetime) -> Iterator[tuple[date, QuerySet[Subscriber]]]:
    """Per time zone: the local edition date, and the subscribers whose hour has come in the
    last few hours (so missed ticks catch up, but a reader who signs up at 23:00 for 08:00
    waits for the morning)."""
    active = Subscriber.objects.filter(status=Subscriber.Status.ACTIVE)
    for zone in active.values_list("timezone", flat=True).distinct().order_by("timezone"):
        local = now.astimezone(ZoneInfo(zone))
        yield local.date(), subscribers_for_edition(edition=local.date()).filter(
            timezone=zone, send_hour__lte=local.hour,
            send_hour__gt=local.hour - CATCH_UP_HOURS)


@dataclass
class Built:
    """What building an edition did: rows to send, rows skipped for lack of matches, and
    the seconds spent matching and writing rows."""

    to_send: list[int]
    skipped: int = 0
    match_s: float = 0.0
    write_s: float = 0.0

    def add(self, other: "Built") -> None:
        self.to_send += other.to_send
        self.skipped += other.skipped
        self.match_s += other.match_s
        self.write_s += other.write_s


def edition_matches(*, edition: date, subscribers: QuerySet[Subscriber],
                    frequencies: list[str] | None = None) -> Iterator[tuple[str, Matches]]:
    """(frequency, matches) for these subscribers' edition, a batch of readers at a time."""
    topics = topic_lines()
    for frequency in frequencies or frequencies_due(edition):
        since, until = edition_window(edition=edition, frequency=frequency)
        index = paper_index(since=since, until=until)
        ids = list(subscribers.filter(frequency=frequency).values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            batch = Subscriber.objects.filter(pk__in=ids[start:start + BATCH])
            readers = readers_for(batch, paper_keys=[p.key for p in index.papers])
            yield frequency, match(compile_readers(readers, topics=topics), index)


# The edition's index, per process: a worker's build tasks (2,000 readers each) share it and
# what it has learned (each line's papers, each reason). Rebuilt when a paper of the window
# is added, removed or changed (every change moves updated_at).
_INDEXES: dict[tuple, PaperIndex] = {}
INDEXES_KEPT = 4  # a Monday has a daily and a weekly window


def paper_index(*, since: date, until: date) -> PaperIndex:
    papers = papers_between(since=since, until=until)
    state = papers.aggregate(count=Count("pk"), changed=Max("updated_at"))
    key = (since, until, state["count"], state["changed"])
    if key not in _INDEXES:
        if len(_INDEXES) >= INDEXES_KEPT:
            _INDEXES.clear()
        _INDEXES[key] = PaperIndex(paper_docs(papers))
    return _INDEXES[key]


def deliveries_build(*, edition: date, subscribers: QuerySet[Subscriber],
                     on_batch: Callable[[list[int]], None] | None = None) -> Built:
    """Match and write Delivery rows (with their papers) for these subscribers' edition.
    Safe to run twice at once: the unique (subscriber, edition) row is written once.
    `on_batch` gets each batch's rows to send as soon as they are committed, so sending
    starts while later batches are still being built."""
    built = Built(to_send=[])
    started = time.perf_counter()
    for frequency, matches in edition_matches(edition=edition, subscribers=subscribers):
        built.match_s += time.perf_counter() - started
        started = time.perf_counter()
        batch = _write(edition, frequency, matches)
        built.write_s += time.perf_counter() - started
        built.add(batch)
        if on_batch:
            on_batch(batch.to_send)
        started = time.perf_counter()
    return built


@transaction.atomic
def _write(edition: date, frequency: str, matches: Matches) -> Built:
    keys = matches.readers.keys
    chosen = {int(keys[row]): matches.items_json(row) for row in range(len(keys))}
    Delivery.objects.bulk_create(
        [Delivery(subscriber_id=key, edition=edition, frequency=frequency,
                  status=Delivery.Status.PENDING if papers else Delivery.Status.SKIPPED,
                  reason="" if papers else NO_MATCHES)
         for key, papers in chosen.items()],
        ignore_conflicts=True,  # another tick got there first: its row stands
    )
    rows = Delivery.objects.filter(edition=edition, subscriber_id__in=list(chosen),
                                   status=Delivery.Status.PENDING, items__isnull=True)
    delivery_of = dict(rows.values_list("subscriber_id", "pk"))
    _items_insert([
        (delivery_of[key], paper_key, rank, matched)
        for key, papers in chosen.items() if key in delivery_of
        for rank, (paper_key, matched) in enumerate(papers, start=1)])
    skipped = sum(1 for papers in chosen.values() if not papers)
    return Built(to_send=sorted(delivery_of.values()), skipped=skipped)


def _items_insert(rows: list[tuple[int, int, int, str]]) -> None:
    """(delivery id, paper id, rank, matched as JSON text) rows. On PostgreSQL through
    COPY: a batch's ~40,000 items in a fraction of an INSERT's time. No other build can have
    written items for these deliveries: writing the unique Delivery rows serialises
    concurrent builds."""
    if connection.vendor != "postgresql":
        DeliveryItem.objects.bulk_create(
            [DeliveryItem(delivery_id=delivery, paper_id=paper, rank=rank,
                          matched=json.loads(matched))
             for delivery, paper, rank, matched in rows], ignore_conflicts=True)
        return
    table = connection.ops.quote_name(DeliveryItem._meta.db_table)
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {table} (delivery_id, paper_id, rank, matched) FROM STDIN") as copy:
        for delivery, paper, rank, matched in rows:
            copy.write_row((delivery, paper, rank, matched))
