"""Sending one digest: claim the row, build the message, hand it to the ESP, record it
(each change of the row's state is in digest.deliver.state).

A row whose earlier try may have reached the ESP all the same (a timeout, a dropped
connection, a worker that died mid-send) is marked maybe_sent, and its next try asks the
ESP before sending (digest.deliver.esp_lookup), so the mail repeats only with an ESP that
cannot be asked.
"""

import logging
import time
from collections import Counter
from datetime import UTC, datetime

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused

from digest.backoff import retry_after_seconds
from digest.deliver.esp_lookup import LookupFailed, message_at_esp
from digest.deliver.items import delivery_items
from digest.deliver.render import Renderer, digest_for, view_url
from digest.deliver.state import (
    Outcome,
    deliveries_claim,
    delivery_back_to_pending,
    delivery_not_claimed,
    delivery_record_failed,
    delivery_record_sent,
)
from digest.follow.updates import PaperUpdates, delivery_updates
from digest.models import Delivery, Paper
from digest.teams.mail import team_digest_for
from subscriptions.emails import message_build, unsubscribe_headers

log = logging.getLogger(__name__)


class TransientSendError(Exception):
    """The ESP or the network failed in a way that a later try may not (429, 5xx, timeout).
    `maybe_sent`: the network failed after the request may have reached the ESP."""

    def __init__(self, reason: str, retry_after: float | None = None,
                 maybe_sent: bool = False):
        super().__init__(reason)
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent


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
                  delivery: Delivery | None = None, claimed: bool = False,
                  topic_ids: list[int] | None = None,
                  updates: list[PaperUpdates] | None = None) -> Outcome:
    """Claim (unless `claimed` already, with deliveries_claim), render, send, record.
    `delivery` (with its subscriber or team), `topic_ids` (the subscriber's topics') and
    `updates` (on papers they follow) may come loaded with others.
    `timings`, when given, adds up seconds spent rendering and waiting for the ESP (the
    benchmark reads them)."""
    timings = Counter() if timings is None else timings
    if not claimed and delivery_id not in deliveries_claim(delivery_ids=[delivery_id], now=now):
        return delivery_not_claimed(delivery_id)
    if delivery is None:
        delivery = Delivery.objects.select_related("subscriber", "team").get(pk=delivery_id)
    if delivery.maybe_sent:  # an earlier try may have reached the ESP: ask it first
        try:
            found = message_at_esp(connection, delivery.key.hex)
        except LookupFailed as error:
            delivery_back_to_pending(delivery_id, reason=str(error))
            raise TransientSendError(str(error)) from error
        if found:
            return delivery_record_sent(
                delivery_id, esp_message_id=found, now=now,
                reason="the ESP already had it: an earlier try had reached it")
    if items is None:
        items = delivery_items([delivery_id])[delivery_id]
    if updates is None:
        updates = delivery_updates([delivery_id]).get(delivery_id, [])
    started = time.perf_counter()
    if delivery.team_id:  # a team's digest, to the team's address (digest.teams.mail)
        to = delivery.team.address
        digest, links = team_digest_for(team=delivery.team, edition=delivery.edition,
                                        items=items,
                                        browser_url=view_url(delivery, site_url),
                                        frequency=delivery.frequency)
    else:
        to = delivery.subscriber.email
        digest, links = digest_for(renderer=renderer, subscriber=delivery.subscriber,
                                   edition=delivery.edition, items=items,
                                   browser_url=view_url(delivery, site_url),
                                   frequency=delivery.frequency, topic_ids=topic_ids,
                                   updates=updates)
    message = message_build(
        template="digest", to=to, html=digest.html, text=digest.text,
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
            return delivery_record_failed(delivery_id, reason=first_line(error))
        delivery_back_to_pending(delivery_id, reason=str(transient),
                                 maybe_sent=transient.maybe_sent)
        raise transient from error
    timings["esp_s"] += time.perf_counter() - started
    esp_id = getattr(getattr(message, "anymail_status", None), "message_id", None) or ""
    return delivery_record_sent(delivery_id, esp_message_id=str(esp_id), now=now)


