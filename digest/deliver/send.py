"""Sending one digest: claim the row, build the message, hand it to the ESP, record it.

The row's status is the only state: pending -> sending (claimed by exactly one worker)
-> sent | failed | skipped. A crash after the claim leaves the row in "sending"; the
dispatch tick puts rows stuck there back to pending. Such a row, and one whose request got no
answer (a timeout, a dropped connection), may have reached the ESP all the same: it is marked
maybe_sent, and its next try asks the ESP before sending (digest/esp_lookup.py), so the mail
repeats only with an ESP that cannot be asked.
"""

import json
import logging
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.core import signing
from django.db import connection
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.urls import reverse

from config.logs import log_event
from digest.backoff import retry_after_seconds
from digest.deliver.esp_lookup import LookupFailed, message_at_esp
from digest.deliver.render import Digest, Renderer
from digest.models import Delivery, DeliveryItem, Paper
from subscriptions.emails import message_build, subscriber_links, unsubscribe_headers
from subscriptions.models import Subscriber

log = logging.getLogger(__name__)
VIEW_SALT = "paperboy.digest.view"


class TransientSendError(Exception):
    """The ESP or the network failed in a way that a later try may not (429, 5xx, timeout).
    `maybe_sent`: the network failed after the request may have reached the ESP."""

    def __init__(self, reason: str, retry_after: float | None = None,
                 maybe_sent: bool = False):
        super().__init__(reason)
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent


@dataclass(frozen=True)
class Outcome:
    status: str  # sent, failed, skipped, or not-pending (someone else has it)
    reason: str = ""


def view_token(delivery: Delivery) -> str:
    """The browser view's link: the delivery's random key, signed (no database id)."""
    return signing.Signer(salt=VIEW_SALT).sign(delivery.key.hex)


def view_url(delivery: Delivery, site_url: str) -> str:
    return site_url + reverse("digest-view", args=[view_token(delivery)])


# Papers loaded in this process, by id and version: a digest names 20 of an edition's
# ~1,000 papers, so loading each once per process beats loading 20 per digest.
_PAPERS: dict[tuple[int, str], Paper] = {}
PAPERS_KEPT = 5000


def delivery_items(delivery_ids: list[int]) -> dict[int, list[tuple[Paper, list[dict]]]]:
    """Each delivery's papers, best first, with why they matched: one query for all, and
    one more for papers this process has not loaded yet (or that changed since)."""
    as_text = TextField()  # versions compared as text: parsing 2,000 timestamps costs more
    rows = list(DeliveryItem.objects.filter(delivery_id__in=delivery_ids)
                .order_by("delivery_id", "rank")
                .annotate(version=Cast("paper__updated_at", as_text),
                          reasons=Cast("matched", as_text))
                .values_list("delivery_id", "paper_id", "version", "reasons"))
    missing = {paper_id for _, paper_id, version, _ in rows
               if (paper_id, version) not in _PAPERS}
    if missing:
        if len(_PAPERS) + len(missing) > PAPERS_KEPT:
            _PAPERS.clear()
        for paper in Paper.objects.filter(pk__in=missing).annotate(
                version=Cast("updated_at", as_text)):
            _PAPERS[(paper.pk, paper.version)] = paper
    items: dict[int, list[tuple[Paper, list[dict]]]] = {pk: [] for pk in delivery_ids}
    for delivery_id, paper_id, version, reasons in rows:
        paper = _PAPERS.get((paper_id, version))
        if paper is None:  # changed between the two queries: this digest takes it as it is now
            paper = _PAPERS[(paper_id, version)] = Paper.objects.get(pk=paper_id)
        items[delivery_id].append((paper, _reasons(reasons)))
    return items


@lru_cache(maxsize=4096)  # bounded: worker memory stays flat
def _reasons(matched_json: str) -> list[dict]:
    """Readers share lines, so items share their reasons: each distinct one parsed once
    (callers only read it)."""
    return json.loads(matched_json)


@contextmanager
def commits_without_waiting_for_disk():
    """On PostgreSQL, commit the status updates of a send batch without waiting for each to
    reach the disk (synchronous_commit off): a flush per digest would cost more than the
    rest of its work. A crashed worker loses nothing by it; only a crash of the database
    server itself can lose the last fraction of a second of updates, whose rows then stay
    "sending" and are sent again as stuck ones (a repeated mail, never a lost one)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def digest_for(*, renderer: Renderer, subscriber: Subscriber, edition: date,
               items: list[tuple[Paper, list[dict]]], browser_url: str) -> tuple[Digest, dict]:
    """The digest as mailed, with the reader's own manage and unsubscribe links."""
    links = {**subscriber_links(subscriber), "browser_url": browser_url}
    return renderer.digest(edition=edition, email=subscriber.email, items=items,
                           links=links), links


def digest_for_browser(*, renderer: Renderer, subscriber: Subscriber, edition: date,
                       items: list[tuple[Paper, list[dict]]], browser_url: str) -> Digest:
    """The digest as the browser view shows it: no link of the reader's (whoever holds a
    forwarded digest can open the view), only a way to have them mailed to the reader."""
    links = {"browser_url": browser_url,
             "link_request_url": settings.SITE_URL + reverse("subscriptions:link")}
    return renderer.digest(edition=edition, email=subscriber.email, items=items, links=links,
                           kind="web")


def message_id(delivery: Delivery, domain: str) -> str:
    """Stable per delivery, so a repeated send is recognisably the same mail, and random:
    it names no database id or counter."""
    return f"<digest.{delivery.key.hex}@{domain}>"


def _transient(error: Exception) -> TransientSendError | None:
    """A TransientSendError when a later try may succeed: ESP 429 or 5xx, or the network
    (Anymail reports that as an API error without a status). Otherwise None: permanent."""
    if isinstance(error, AnymailRecipientsRefused):
        return None
    if isinstance(error, AnymailAPIError):  # (also an OSError, through requests)
        status = getattr(error, "status_code", None)
        if status is not None and status != 429 and status < 500:
            return None
        response = getattr(error, "response", None)
        wait = (retry_after_seconds(response.headers, now=datetime.now(UTC))
                if response is not None else None)
        # No answer at all (a timeout, a dropped connection): the ESP may have the message.
        return TransientSendError(first_line(error), wait, maybe_sent=status is None)
    if isinstance(error, OSError):  # the network itself
        return TransientSendError(first_line(error), maybe_sent=True)
    return None


def first_line(error: Exception) -> str:
    """The error on one line (an ESP's answer included), short enough for the admin."""
    return f"{type(error).__name__}: {' '.join(str(error).split())}"[:500]


def delivery_send(*, delivery_id: int, renderer: Renderer, now: datetime, site_url: str,
                  domain: str, items: list[tuple[Paper, list[dict]]] | None = None,
                  connection=None, timings: Counter | None = None,
                  delivery: Delivery | None = None, claimed: bool = False) -> Outcome:
    """Claim (unless `claimed` already, with deliveries_claim), render, send, record.
    `delivery` (with its subscriber) may come loaded with others. `timings`, when given,
    adds up seconds spent rendering and waiting for the ESP (the benchmark reads them)."""
    timings = Counter() if timings is None else timings
    if not claimed and delivery_id not in deliveries_claim(delivery_ids=[delivery_id], now=now):
        return _not_claimed(delivery_id)
    if delivery is None:
        delivery = Delivery.objects.select_related("subscriber").get(pk=delivery_id)
    subscriber = delivery.subscriber
    if delivery.maybe_sent:  # an earlier try may have reached the ESP: ask it first
        try:
            found = message_at_esp(connection, delivery.key.hex)
        except LookupFailed as error:
            _back_to_pending(delivery_id, reason=str(error))
            raise TransientSendError(str(error)) from error
        if found:
            return _record_sent(delivery_id, esp_message_id=found, now=now,
                                reason="the ESP already had it: an earlier try had reached it")
    if items is None:
        items = delivery_items([delivery_id])[delivery_id]
    started = time.perf_counter()
    digest, links = digest_for(renderer=renderer, subscriber=subscriber,
                               edition=delivery.edition, items=items,
                               browser_url=view_url(delivery, site_url))
    message = message_build(
        template="digest", to=subscriber.email, html=digest.html, text=digest.text,
        subject=digest.subject,
        headers={**unsubscribe_headers(links["unsubscribe_url"]),
                 "Message-ID": message_id(delivery, domain)},
        tags=["digest"],  # one tag: some ESPs (Postmark) take no more
        # Metadata can reach the recipient (Mailgun puts it in a header): random keys only.
        metadata={"delivery": delivery.key.hex, "edition": delivery.edition.isoformat(),
                  "frequency": delivery.frequency})
    if connection is not None:
        message.connection = connection
    timings["render_s"] += time.perf_counter() - started
    started = time.perf_counter()
    try:
        message.send()
    except Exception as error:
        timings["esp_s"] += time.perf_counter() - started
        transient = _transient(error)
        if transient is None:
            return _record_failed(delivery_id, reason=first_line(error))
        _back_to_pending(delivery_id, reason=str(transient), maybe_sent=transient.maybe_sent)
        raise transient from error
    timings["esp_s"] += time.perf_counter() - started
    esp_id = getattr(getattr(message, "anymail_status", None), "message_id", None) or ""
    return _record_sent(delivery_id, esp_message_id=str(esp_id), now=now)


CLAIM = """
    UPDATE digest_delivery SET status = 'sending', claimed_at = %s, attempts = attempts + 1
    WHERE status = 'pending' AND id IN ({ids}) AND EXISTS (
        SELECT 1 FROM subscriptions_subscriber s
        WHERE s.id = digest_delivery.subscriber_id AND s.status = 'active'
        AND (s.paused_until IS NULL OR s.paused_until < digest_delivery.edition))
    RETURNING id
"""


def deliveries_claim(*, delivery_ids: list[int], now: datetime) -> set[int]:
    """pending -> sending for those of these rows whose reader may still be mailed, in one
    statement; returns the ids this caller now owns (no other worker can claim them)."""
    if not delivery_ids:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(CLAIM.format(ids=", ".join(["%s"] * len(delivery_ids))),
                       [now, *delivery_ids])
        return {row[0] for row in cursor.fetchall()}


def _not_claimed(delivery_id: int) -> Outcome:
    """Someone else has the row, or its reader may no longer be mailed: skip it, saying why."""
    row = Delivery.objects.select_related("subscriber").filter(pk=delivery_id).first()
    if row is None or row.status != Delivery.Status.PENDING:
        return Outcome("not-pending")
    subscriber = row.subscriber
    if subscriber.status != Subscriber.Status.ACTIVE:
        reason = f"subscriber is {subscriber.status}"
    else:
        reason = f"paused until {subscriber.paused_until}"
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SKIPPED, reason=reason)
    return Outcome(Delivery.Status.SKIPPED, reason)


RECORD_SENT = """
    UPDATE digest_delivery SET status = 'sent', reason = %s, esp_message_id = %s, sent_at = %s
    WHERE id = %s AND status = 'sending'
"""


def _record_sent(delivery_id: int, *, esp_message_id: str, now: datetime,
                 reason: str = "") -> Outcome:
    """sending -> sent, once per digest: one plain statement, a third of the CPU that
    building the same UPDATE through the ORM costs."""
    with connection.cursor() as cursor:
        cursor.execute(RECORD_SENT, [reason, esp_message_id, now, delivery_id])
    return Outcome(Delivery.Status.SENT, reason)


def _back_to_pending(delivery_id: int, *, reason: str, maybe_sent: bool = False) -> None:
    """sending -> pending, to be tried again; `maybe_sent` marks (never unmarks) a try that
    may have reached the ESP."""
    flag = {"maybe_sent": True} if maybe_sent else {}
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.PENDING, reason=reason, **flag)


def _record_failed(delivery_id: int, *, reason: str) -> Outcome:
    """sending -> failed for good (the ESP refused the message), with its answer."""
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.FAILED, reason=reason)
    return Outcome(Delivery.Status.FAILED, reason)


def delivery_give_up(*, delivery_id: int, reason: str) -> None:
    """After the last retry: failed, with the last reason."""
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED, reason=f"gave up after retries: {reason}"[:1000])


def deliveries_requeue_stuck(*, now: datetime, stuck_after: timedelta) -> list[int]:
    """Rows claimed long ago but never finished (their worker died): pending again."""
    stuck = list(Delivery.objects.filter(status=Delivery.Status.SENDING,
                                         claimed_at__lt=now - stuck_after)
                 .values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=stuck, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.PENDING, reason="requeued: its worker stopped mid-send",
        maybe_sent=True)  # it may have stopped after the ESP took the digest
    if stuck:
        log_event(log, logging.WARNING, "Requeued deliveries stuck in sending (their worker "
                  "stopped mid-send)", deliveries=len(stuck))
    return stuck


def deliveries_waiting(*, now: datetime, older_than: timedelta) -> list[int]:
    """Pending rows of recent editions no worker has taken (a queue lost in a restart), or
    whose scheduled retry is long overdue."""
    return list(Delivery.objects.filter(
        Q(attempts=0) | Q(claimed_at__lt=now - timedelta(hours=1)),
        status=Delivery.Status.PENDING, created_at__lt=now - older_than,
        edition__gte=(now - timedelta(days=2)).date()).values_list("pk", flat=True))


def deliveries_retry(*, delivery_ids: list[int]) -> list[int]:
    """Failed deliveries an operator sends again: pending, to be queued. Returns those."""
    failed = list(Delivery.objects.filter(pk__in=delivery_ids, status=Delivery.Status.FAILED)
                  .values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=failed, status=Delivery.Status.FAILED).update(
        status=Delivery.Status.PENDING, reason="retried by an operator")
    return failed
