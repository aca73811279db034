"""The updates a reader's next digest opens with: the events on papers they follow, noticed
after they followed them, that no digest of theirs has told yet, unless they turned updates
off. Told once: each is tied to the delivery that carries it (unique per reader and event),
and the mail and its browser view read them from there."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F

from digest.models import Follow, FollowUpdate, Paper, PaperEvent


def updates_due(*, subscriber_ids: list[int]) -> dict[int, list[int]]:
    """Each of these readers' events still to be told (event ids), readers with none left
    out: two queries for the whole batch."""
    candidates = list(Follow.objects.filter(
        subscriber_id__in=subscriber_ids, subscriber__follow_updates=True,
        paper__events__noticed_at__gte=F("followed_at"),
    ).values_list("subscriber_id", "paper__events__id"))
    if not candidates:
        return {}
    told = set(FollowUpdate.objects.filter(
        subscriber_id__in={reader for reader, _ in candidates},
        event_id__in={event for _, event in candidates},
    ).values_list("subscriber_id", "event_id"))
    due: dict[int, list[int]] = defaultdict(list)
    for reader, event in sorted(candidates):
        if (reader, event) not in told:
            due[reader].append(event)
    return dict(due)


def updates_attach(*, delivery_of: dict[int, int], due: dict[int, list[int]]) -> None:
    """Tie each reader's due events to their new delivery (`delivery_of`: reader -> delivery).
    An event another build already tied stays where it is."""
    FollowUpdate.objects.bulk_create(
        [FollowUpdate(subscriber_id=reader, event_id=event, delivery_id=delivery)
         for reader, delivery in delivery_of.items() for event in due.get(reader, [])],
        ignore_conflicts=True)


@dataclass(frozen=True)
class PaperUpdates:
    """One followed paper and what changed on it, as a digest lists it."""

    paper: Paper
    events: list[PaperEvent]


def delivery_updates(delivery_ids: list[int]) -> dict[int, list[PaperUpdates]]:
    """The updates each of these deliveries carries, by paper (in the order they were
    noticed): one query for all."""
    rows = (FollowUpdate.objects.filter(delivery_id__in=delivery_ids)
            .select_related("event__paper").order_by("delivery_id", "event__noticed_at",
                                                       "event_id"))
    by_delivery: dict[int, dict[int, PaperUpdates]] = defaultdict(dict)
    for told in rows:
        paper = told.event.paper
        updates = by_delivery[told.delivery_id].setdefault(paper.pk, PaperUpdates(paper, []))
        updates.events.append(told.event)
    return {delivery: list(papers.values()) for delivery, papers in by_delivery.items()}
