"""A delivery row's states, and every change of them: pending -> sending (claimed by exactly
one worker) -> sent | failed | skipped, each a conditional UPDATE whose row count says who
won. The row's status is the only state. A crash after the claim leaves the row in
"sending"; the tick puts rows stuck there back to pending, marked maybe_sent (the ESP is
asked before the digest goes again)."""

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.db import connection
from django.db.models import F, Q

from config.logs import log_event
from digest.models import Delivery
from subscriptions.models import mailable_q, team_mailable_q

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    status: str  # sent, failed, skipped, or not-pending (someone else has it)
    reason: str = ""


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


@cache
def _sql_names() -> dict[str, str]:
    """The delivery table's and columns' names, quoted, as raw statements need them."""
    quote = connection.ops.quote_name
    names = {"table": quote(Delivery._meta.db_table)}
    for field in ("id", "status", "claimed_at", "attempts", "reason", "esp_message_id",
                  "sent_at"):
        names[field] = quote(Delivery._meta.get_field(field).column)
    return names


def deliveries_claim(*, delivery_ids: list[int], now: datetime) -> set[int]:
    """pending -> sending for those of these rows whose reader (or team) may still be mailed
    (subscriptions' mailable rules, on the row's edition), in one statement; returns the ids
    this caller now owns (no other worker can claim them)."""
    if not delivery_ids:
        return set()
    claimable, params = (
        Delivery.objects.filter(pk__in=delivery_ids, status=Delivery.Status.PENDING)
        .filter(mailable_q(on=F("edition"), prefix="subscriber__")
                | team_mailable_q(on=F("edition"), prefix="team__"))
        .values("pk").query.sql_with_params())
    names = _sql_names()
    # The status test on the row itself (not only in the subquery) is what makes two
    # claims of one row exclusive: the second finds it "sending" once the first commits.
    statement = (
        "UPDATE {table} SET {status} = %s, {claimed_at} = %s, {attempts} = {attempts} + 1 "
        "WHERE {status} = %s AND {id} IN ({claimable}) RETURNING {id}").format(
        claimable=claimable, **names)
    with connection.cursor() as cursor:
        cursor.execute(statement, [Delivery.Status.SENDING, now, Delivery.Status.PENDING,
                                   *params])
        return {row[0] for row in cursor.fetchall()}


def delivery_not_claimed(delivery_id: int) -> Outcome:
    """Someone else has the row, or its reader (or team) may no longer be mailed: skip it,
    saying why."""
    row = Delivery.objects.select_related("subscriber", "team").filter(pk=delivery_id).first()
    if row is None or row.status != Delivery.Status.PENDING:
        return Outcome("not-pending")
    recipient, who = (row.team, "team") if row.team_id else (row.subscriber, "subscriber")
    if recipient.status != recipient.Status.ACTIVE:
        reason = f"{who} is {recipient.status}"
    else:
        reason = f"paused until {recipient.paused_until}"
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SKIPPED, reason=reason)
    return Outcome(Delivery.Status.SKIPPED, reason)


def delivery_record_sent(delivery_id: int, *, esp_message_id: str, now: datetime,
                         reason: str = "") -> Outcome:
    """sending -> sent, once per digest: one plain statement, a third of the CPU that
    building the same UPDATE through the ORM costs."""
    statement = ("UPDATE {table} SET {status} = %s, {reason} = %s, {esp_message_id} = %s, "
                 "{sent_at} = %s WHERE {id} = %s AND {status} = %s").format(**_sql_names())
    with connection.cursor() as cursor:
        cursor.execute(statement, [Delivery.Status.SENT, reason, esp_message_id, now,
                                   delivery_id, Delivery.Status.SENDING])
    return Outcome(Delivery.Status.SENT, reason)


def delivery_back_to_pending(delivery_id: int, *, reason: str, maybe_sent: bool = False) -> None:
    """sending -> pending, to be tried again; `maybe_sent` marks (never unmarks) a try that
    may have reached the ESP."""
    flag = {"maybe_sent": True} if maybe_sent else {}
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.PENDING, reason=reason, **flag)


def delivery_record_failed(delivery_id: int, *, reason: str) -> Outcome:
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

