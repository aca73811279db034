"""A batch of digests sent one by one on one ESP connection, cards rendered once: what a send
task (100 digests) and the send_digests command run."""

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from email.utils import parseaddr

import requests
from django.conf import settings
from django.core.mail import get_connection
from django.utils import timezone

from config.logs import log_event
from digest.deliver.items import delivery_items, readers_topics
from digest.deliver.render import Renderer
from digest.deliver.send import TransientSendError, delivery_send
from digest.deliver.state import commits_without_waiting_for_disk, deliveries_claim
from digest.follow.updates import delivery_updates
from digest.models import Delivery

log = logging.getLogger(__name__)
CHUNK = 100  # deliveries per send task


def sender_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


def chunks(ids: list[int], size: int = CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def deliveries_send(delivery_ids: list[int], *,
                    on_transient: Callable[[int, TransientSendError], None],
                    progress: Callable[[int], None] | None = None) -> Counter:
    """Send these deliveries one by one on one ESP connection, cards rendered once.
    Returns how many ended sent, failed, skipped, retrying or not-pending."""
    renderer, counts, timings = Renderer(), Counter(), Counter()
    site_url, domain = settings.SITE_URL, sender_domain()
    started = time.perf_counter()
    # Opened once for all: an unopened connection opens again (for an ESP's HTTP API: a new
    # session, a new TCP and TLS handshake) for every message.
    with get_connection() as connection, commits_without_waiting_for_disk():
        environment_read_once(connection)
        for chunk in chunks(delivery_ids, 100):
            mine = deliveries_claim(delivery_ids=chunk, now=timezone.now())
            items = delivery_items(sorted(mine))
            rows = Delivery.objects.select_related("subscriber", "team").in_bulk(sorted(mine))
            topics = readers_topics([row.subscriber_id for row in rows.values()
                                     if row.subscriber_id])
            updates = delivery_updates(sorted(mine))
            for delivery_id in chunk:
                try:
                    outcome = delivery_send(
                        delivery_id=delivery_id, renderer=renderer, now=timezone.now(),
                        site_url=site_url, domain=domain, items=items.get(delivery_id),
                        connection=connection, timings=timings,
                        delivery=rows.get(delivery_id), claimed=delivery_id in mine,
                        topic_ids=topics.get(rows[delivery_id].subscriber_id, [])
                        if delivery_id in rows else None,
                        updates=updates.get(delivery_id, []))
                except TransientSendError as error:
                    counts["retrying"] += 1
                    on_transient(delivery_id, error)
                else:
                    counts[str(outcome.status)] += 1  # "sent", not Status.SENT, in logs
                if progress:
                    progress(1)
    total = time.perf_counter() - started
    log_event(log, logging.INFO, "Finished a send batch", digests=len(delivery_ids),
              sent=counts["sent"], failed=counts["failed"], skipped=counts["skipped"],
              retrying=counts["retrying"], not_pending=counts["not-pending"],
              total_s=round(total, 3), render_s=round(timings["render_s"], 3),
              esp_s=round(timings["esp_s"], 3),
              database_s=round(total - timings["render_s"] - timings["esp_s"], 3))
    return counts


def environment_read_once(connection) -> None:
    """An ESP connection built on requests reads the proxy and CA-bundle variables once.
    By default requests reads them for every request, walking the whole environment twice:
    a tenth of a digest's cost. (Anymail's backends keep their Session in `.session`.)"""
    session, api_url = getattr(connection, "session", None), getattr(connection, "api_url", "")
    if not isinstance(session, requests.Session) or not session.trust_env or not api_url:
        return
    found = session.merge_environment_settings(api_url, {}, None, None, None)
    session.proxies.update(found["proxies"])
    session.verify = found["verify"]
    session.trust_env = False


