"""Building an edition: its readers streamed in one pass and matched against its papers in
large batches, and one Delivery row per reader (with the papers chosen, and why) written
once, whatever runs it twice. A paper a reader was sent before is never chosen again."""

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Max, QuerySet

from digest.editions.due import edition_window, frequencies_due
from digest.follow.updates import updates_attach, updates_due
from digest.learn.digests import items_with_learning
from digest.match.index import PaperIndex
from digest.match.inputs import paper_docs, papers_between, reader_batches, topic_lines
from digest.match.lines import LineTable
from digest.match.matching import Matches, match
from digest.match.readers import compile_rows
from digest.memo import BoundedCache
from digest.models import Delivery, DeliveryItem
from subscriptions.models import Subscriber

BATCH = 2000  # readers written per transaction
MATCHED_AT_ONCE = 50_000  # readers read and ranked together (a few tens of MB)
NO_MATCHES = "no matches"


@dataclass
class Built:
    """What building an edition did: rows to send, readers matched, rows skipped for lack of
    matches, and the seconds spent matching and writing rows."""

    to_send: list[int]
    readers: int = 0
    skipped: int = 0
    match_s: float = 0.0
    write_s: float = 0.0

    def add(self, other: "Built") -> None:
        self.to_send += other.to_send
        self.readers += other.readers
        self.skipped += other.skipped
        self.match_s += other.match_s
        self.write_s += other.write_s


@dataclass
class EditionBatch:
    """Some of an edition's readers (in id order) and what the matcher chose for them."""

    frequency: str
    matches: Matches
    emails: list[str]  # row by row


def edition_batches(*, edition: date, subscribers: QuerySet[Subscriber],
                    frequencies: list[str] | None = None, size: int = MATCHED_AT_ONCE,
                    sent_too: bool = False) -> Iterator[EditionBatch]:
    """These subscribers' edition, `size` readers at a time, from one pass over them.
    `sent_too`: papers a reader was sent before may be chosen again (a test digest shows
    what their filters pick now, sent or not)."""
    topics = topic_lines()
    for frequency in frequencies or frequencies_due(edition):
        since, until = edition_window(edition=edition, frequency=frequency)
        index, table = edition_lines(since=since, until=until)
        sent_before = [] if sent_too else [paper.key for paper in index.papers]
        for emails, rows in reader_batches(subscribers.filter(frequency=frequency),
                                           paper_keys=sent_before, size=size):
            readers = compile_rows(rows, topics=topics, table=table)
            yield EditionBatch(frequency, match(readers, index), emails)


# The edition's index and its lines, per process: a worker's build tasks share them and what
# they have learned (each line's papers, each reason). Rebuilt when a paper of the window
# is added, removed or changed (every change moves updated_at).
_EDITIONS: BoundedCache[tuple[PaperIndex, LineTable]] = BoundedCache(4)  # Mondays: 2 windows


def edition_lines(*, since: date, until: date) -> tuple[PaperIndex, LineTable]:
    papers = papers_between(since=since, until=until)
    state = papers.aggregate(count=Count("pk"), changed=Max("updated_at"))
    key = (since, until, state["count"], state["changed"])
    return _EDITIONS.remember(key, lambda: (PaperIndex(paper_docs(papers)), LineTable()))


def deliveries_build(*, edition: date, subscribers: QuerySet[Subscriber],
                     on_batch: Callable[[list[int]], None] | None = None) -> Built:
    """Match and write Delivery rows (with their papers) for these subscribers' edition.
    Safe to run twice at once: the unique (subscriber, edition) row is written once.
    `on_batch` gets each batch's rows to send as soon as they are committed, so sending
    starts while later batches are still being built."""
    built = Built(to_send=[])
    started = time.perf_counter()
    for batch in edition_batches(edition=edition, subscribers=subscribers):
        built.match_s += time.perf_counter() - started
        built.readers += len(batch.emails)
        for start in range(0, len(batch.emails), BATCH):
            started = time.perf_counter()
            rows = np.arange(start, min(start + BATCH, len(batch.emails)))
            written = _write(edition, batch.frequency, batch.matches.take(rows))
            built.write_s += time.perf_counter() - started
            built.add(written)
            if on_batch:
                on_batch(written.to_send)
        started = time.perf_counter()
    return built


def _write(edition: date, frequency: str, matches: Matches) -> Built:
    chosen = items_with_learning(matches, edition=edition)
    return deliveries_write(edition=edition, frequency=frequency, chosen=chosen,
                            updates=updates_due(subscriber_ids=list(chosen)))


@transaction.atomic
def deliveries_write(*, edition: date, frequency: str, chosen: dict[int, list[tuple[int, str]]],
                     to: str = "subscriber", empty: str = NO_MATCHES,
                     updates: dict[int, list[int]] | None = None) -> Built:
    """One row per key of `chosen` (a subscriber's id, or a team's with to="team") with
    its (paper key, why as JSON) items; `empty` says why a row without papers is skipped.
    `updates`: readers' untold events on papers they follow (digest.follow.updates), news
    too: a reader with updates and no papers gets a short digest."""
    updates = updates or {}
    news = {key: bool(papers) or key in updates for key, papers in chosen.items()}
    Delivery.objects.bulk_create(
        [Delivery(**{f"{to}_id": key}, edition=edition, frequency=frequency,
                  status=Delivery.Status.PENDING if news[key] else Delivery.Status.SKIPPED,
                  reason="" if news[key] else empty)
         for key in chosen],
        ignore_conflicts=True,  # another tick got there first: its row stands
    )
    rows = Delivery.objects.filter(edition=edition, **{f"{to}_id__in": list(chosen)},
                                   status=Delivery.Status.PENDING, items__isnull=True,
                                   updates__isnull=True)
    delivery_of = dict(rows.values_list(f"{to}_id", "pk"))
    _items_insert([
        (delivery_of[key], paper_key, rank, matched)
        for key, papers in chosen.items() if key in delivery_of
        for rank, (paper_key, matched) in enumerate(papers, start=1)])
    updates_attach(delivery_of=delivery_of, due=updates)
    skipped = sum(1 for has_news in news.values() if not has_news)
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
