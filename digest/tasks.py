"""Celery tasks: thin wrappers that read settings and the clock, then call the services."""

import datetime
import logging
import time
from datetime import timedelta

from celery import Signature, group, shared_task
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import ChannelError

from config.logs import log_event
from digest.backoff import backoff_delay
from digest.deliver.batch import chunks, deliveries_send
from digest.deliver.send import TransientSendError
from digest.deliver.state import deliveries_requeue_stuck, deliveries_waiting, delivery_give_up
from digest.editions.build import deliveries_build
from digest.editions.due import subscribers_due_in, zones_in_use
from digest.editions.shards import IdRange, id_ranges
from digest.ingest.seeds import seeds_ingest, seeds_missing
from digest.ingest.sources.records import SourceError
from digest.ingest.today import ingest_again, ingest_today
from digest.learn.reader_models import reader_refit
from digest.learn.store import MODEL as EMBEDDING_MODEL
from digest.learn.store import papers_embed
from digest.models import IngestRun, Paper
from digest.teams.build import team_deliveries_build
from digest.teams.due import team_zones_in_use, teams_due_in
from subscriptions.models import Subscriber

log = logging.getLogger(__name__)
# An ESP failing a third of all requests at random still delivers all but one in a million
# digests with the default SEND_RETRY_ATTEMPTS (12).
MAX_SEND_RETRIES = settings.SEND_RETRY_ATTEMPTS


@shared_task(bind=True, max_retries=8)
def ingest_daily(self) -> list[int]:
    """Today's ingest (digest.ingest.today). A failed run is recorded, and the whole task is
    tried again in 15 minutes (up to 2 hours)."""
    runs = ingest_today(today=timezone.now().date())
    embed_new_papers.delay()
    ingest_seed_papers.delay()
    if any(run.status == IngestRun.Status.FAILED for run in runs):
        raise self.retry(countdown=15 * 60)
    return [run.pk for run in runs]


@shared_task
def ingest_run_again(run_id: int) -> int | None:
    """An earlier run's request again (an operator's re-run from the admin)."""
    run = IngestRun.objects.filter(pk=run_id).first()
    again = ingest_again(run=run) if run else None
    embed_new_papers.delay()
    return again.pk if again else None


EMBED_BATCH = 200  # papers a task embeds (about 20 s on one core)


@shared_task
def embed_new_papers() -> int:
    """The papers that have no embedding yet, fanned out to tasks of EMBED_BATCH, so that
    every worker process embeds, off the send path."""
    ids = list(Paper.objects.exclude(embedding__model=EMBEDDING_MODEL)
               .order_by("pk").values_list("pk", flat=True))
    for batch in chunks(ids, EMBED_BATCH):
        embed_papers.delay(batch)
    return len(ids)


@shared_task
def embed_papers(paper_ids: list[int]) -> int:
    return papers_embed(paper_ids=paper_ids)


@shared_task
def ingest_seed_papers(subscriber_ids: list[int] | None = None) -> int:
    """The seed papers readers named that are not stored yet (all readers', or these
    readers'), fetched from arXiv and then embedded; returns how many were stored. When arXiv
    cannot be reached they stay missing, and the next day's ingest asks again."""
    readers = (Subscriber.objects.filter(pk__in=subscriber_ids) if subscriber_ids is not None
               else None)
    try:
        stored = seeds_ingest(seeds_missing(readers))
    except SourceError as error:
        log_event(log, logging.WARNING, "Seed papers could not be fetched", error=str(error))
        return 0
    if stored:
        embed_new_papers.delay()
    return len(stored)


@shared_task
def refit_reader(subscriber_id: int) -> bool:
    """A reader's profile, refit after a vote (or a change of what they follow)."""
    return reader_refit(subscriber_id=subscriber_id, day=timezone.localdate())


def queue_sends(delivery_ids: list[int]) -> None:
    for chunk in chunks(delivery_ids):
        send_digests.delay(chunk)


def send_queue_length() -> int:
    """Tasks waiting in the broker's queue (0 when tasks run in-process)."""
    app = send_digests.app
    if app.conf.task_always_eager:
        return 0
    with app.connection_for_write() as connection:
        queue = app.conf.task_default_queue
        try:
            return connection.default_channel.queue_declare(queue, passive=True).message_count
        except ChannelError:  # Redis keeps no empty queue: not there means nothing waits
            return 0


@shared_task
def dispatch_tick() -> dict:
    """Every 15 minutes: requeue what a dead worker or a lost queue left behind, and fan the
    readers whose hour has come out to build tasks, a shard of BUILD_SHARD_READERS readers
    each (digest.editions.shards), so building runs on every worker process, not only the
    one that got the tick; each build task queues its sends."""
    now = timezone.now()
    leftovers = deliveries_requeue_stuck(
        now=now, stuck_after=timedelta(seconds=settings.DELIVERY_STUCK_AFTER_SECONDS))
    if send_queue_length() == 0:  # otherwise the rows are only waiting their turn
        leftovers += deliveries_waiting(
            now=now, older_than=timedelta(seconds=settings.DELIVERY_WAITING_AFTER_SECONDS))
    queue_sends(sorted(set(leftovers)))
    shards, readers = build_shards(now=now)
    teams = team_builds(now=now)
    group([*shards, *teams]).apply_async()
    summary = {"readers": readers, "build_shards": len(shards), "team_builds": len(teams),
               "requeued": len(leftovers)}
    log_event(log, logging.INFO, "Dispatch tick queued the readers due now", **summary)
    return summary


def build_shards(*, now: datetime.datetime, send: bool = True) -> tuple[list[Signature], int]:
    """A build_deliveries task per zone and id range of the readers due at `now`, and how
    many readers they hold."""
    shards, readers = [], 0
    for zone in zones_in_use():
        ranges, due = id_ranges(subscribers_due_in(zone, now=now)[1],
                                size=settings.BUILD_SHARD_READERS)
        readers += due
        shards += [build_deliveries.si(now.isoformat(), zone, shard.first, shard.before,
                                       send=send) for shard in ranges]
    return shards, readers


@shared_task
def build_deliveries(now: str, zone: str, first: int, before: int | None, *,
                     send: bool = True) -> dict:
    """Rows for the readers of `zone` in ids first..before who were due at `now` (and still
    are), their sends queued as written. `send=False` only writes the rows (the benchmark's
    build step): a later tick finds them waiting and sends them."""
    edition, due = subscribers_due_in(zone, now=datetime.datetime.fromisoformat(now))
    built = deliveries_build(edition=edition, subscribers=IdRange(first, before).of(due),
                             on_batch=queue_sends if send else None)
    summary = {"readers": built.readers, "queued": len(built.to_send) if send else 0,
               "written": len(built.to_send), "skipped": built.skipped,
               "match_s": round(built.match_s, 3), "write_s": round(built.write_s, 3)}
    log_event(log, logging.INFO, "Built deliveries", edition=edition.isoformat(), zone=zone,
              first=first, **summary)
    return summary


def team_builds(*, now: datetime.datetime, send: bool = True) -> list[Signature]:
    """A build_team_deliveries task per time zone with teams due at `now` (digest.teams)."""
    return [build_team_deliveries.si(now.isoformat(), zone, send=send)
            for zone in team_zones_in_use() if teams_due_in(zone, now=now)[1].exists()]


@shared_task
def build_team_deliveries(now: str, zone: str, *, send: bool = True) -> dict:
    """Rows for the teams of `zone` due at `now` (and still due), their sends queued as
    written; `send=False` only writes them, as for readers."""
    edition, due = teams_due_in(zone, now=datetime.datetime.fromisoformat(now))
    built = team_deliveries_build(edition=edition, teams=due,
                                  on_batch=queue_sends if send else None)
    summary = {"members": built.readers, "queued": len(built.to_send) if send else 0,
               "written": len(built.to_send), "skipped": built.skipped,
               "match_s": round(built.match_s, 3), "write_s": round(built.write_s, 3)}
    log_event(log, logging.INFO, "Built team deliveries", edition=edition.isoformat(),
              zone=zone, **summary)
    return summary


def send_retry_countdown(*, retry: int, retry_after: float | None) -> float:
    """Seconds before retry number `retry` (1 = the first) of a send: backoff with jitter from
    SEND_RETRY_BACKOFF_SECONDS, doubling up to SEND_RETRY_BACKOFF_MAX_SECONDS, and never
    sooner than the ESP asked, up to that maximum (a longer countdown would outlive the
    broker's visibility timeout)."""
    maximum = settings.SEND_RETRY_BACKOFF_MAX_SECONDS
    backoff = backoff_delay(retry, base=settings.SEND_RETRY_BACKOFF_SECONDS, maximum=maximum)
    return min(maximum, max(backoff, retry_after or 0))


def retry_later(delivery_id: int, error: TransientSendError) -> None:
    if send_digest.app.conf.task_always_eager:
        retry_in_process(delivery_id, error)
    else:
        send_digest.apply_async(
            (delivery_id,), countdown=send_retry_countdown(retry=1, retry_after=error.retry_after))


def retry_in_process(delivery_id: int, error: TransientSendError) -> None:
    """Without a broker (the embedded default) there is nobody to retry later: retry now,
    as often as a worker would, waiting what the ESP asks for (at most a few seconds)."""
    for _ in range(MAX_SEND_RETRIES):
        time.sleep(min(error.retry_after or 0, 5))
        failures: list[TransientSendError] = []
        deliveries_send([delivery_id], on_transient=lambda _, e, seen=failures: seen.append(e))
        if not failures:
            return
        error = failures[0]
    delivery_give_up(delivery_id=delivery_id, reason=str(error))


@shared_task
def send_digests(delivery_ids: list[int]) -> dict:
    return dict(deliveries_send(delivery_ids, on_transient=retry_later))


# The first retry is this task's first run: with max_retries one less, a digest gets the
# first try and MAX_SEND_RETRIES retries, as retry_in_process gives it without a broker.
@shared_task(bind=True, max_retries=MAX_SEND_RETRIES - 1)
def send_digest(self, delivery_id: int) -> dict:
    """One delivery whose send failed transiently, retried with backoff up to a limit."""
    failures = []
    counts = deliveries_send([delivery_id], on_transient=lambda _, error: failures.append(error))
    if failures:
        if self.request.retries >= self.max_retries:
            delivery_give_up(delivery_id=delivery_id, reason=str(failures[0]))
            return {"failed": 1}
        # This run was retry number retries + 1 (retry_later queued the first): next is + 2.
        raise self.retry(countdown=send_retry_countdown(
            retry=self.request.retries + 2, retry_after=failures[0].retry_after))
    return dict(counts)
