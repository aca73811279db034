"""A batch of deliveries' papers, best first, with why each matched: what a digest is
rendered from, read with one query for the whole batch."""

import json
from functools import lru_cache

from django.db.models import TextField
from django.db.models.functions import Cast

from digest.memo import BoundedCache
from digest.models import DeliveryItem, Paper
from subscriptions.models import Subscriber

# Papers loaded in this process, by id and version: a digest names 20 of an edition's
# ~1,000 papers, so loading each once per process beats loading 20 per digest.
_PAPERS: BoundedCache[Paper] = BoundedCache(5000)


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
        _PAPERS.make_room(len(missing))
        for paper in Paper.objects.filter(pk__in=missing).annotate(
                version=Cast("updated_at", as_text)):
            _PAPERS.put((paper.pk, paper.version), paper)
    items: dict[int, list[tuple[Paper, list[dict]]]] = {pk: [] for pk in delivery_ids}
    for delivery_id, paper_id, version, reasons in rows:
        paper = _PAPERS.get((paper_id, version))
        if paper is None:  # changed between the two queries: this digest takes it as it is now
            paper = _PAPERS[(paper_id, version)] = Paper.objects.get(pk=paper_id)
        items[delivery_id].append((paper, _reasons(reasons)))
    return items


def readers_topics(subscriber_ids: list[int]) -> dict[int, list[int]]:
    """Each reader's topics (their ids), for a batch in one query of plain values."""
    found: dict[int, list[int]] = {}
    for subscriber_id, topic_id in Subscriber.topics.through.objects.filter(
            subscriber_id__in=subscriber_ids).values_list("subscriber_id", "topic_id"):
        found.setdefault(subscriber_id, []).append(topic_id)
    return found


@lru_cache(maxsize=4096)  # bounded: worker memory stays flat
def _reasons(matched_json: str) -> list[dict]:
    """Readers share lines, so items share their reasons: each distinct one parsed once
    (callers only read it)."""
    return json.loads(matched_json)
