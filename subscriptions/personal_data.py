"""A reader's own data: everything held about them, to download, and erasing it.

Erasing keeps one thing: a keyed hash of the address (subscriptions.addresses), so that an
import cannot bring the address back. The reader can still sign up again themselves.
"""

from datetime import datetime

from django.db import transaction

from subscriptions.addresses import address_hash
from subscriptions.models import ErasedAddress, SignupRequest, Subscriber, TeamMember
from subscriptions.services import Preferences


def _when(moment) -> str | None:
    return moment.isoformat() if moment else None


def subscriber_data_export(*, subscriber: Subscriber) -> dict:
    """Preferences (their description and seed papers among them), consent record and history,
    deliveries with their papers, "More/Less like this" votes, the papers they follow and the
    updates on them their digests told, ESP events, teams."""
    deliveries = subscriber.deliveries.order_by("-edition").prefetch_related("items__paper")
    return {
        "email": subscriber.email,
        "preferences": Preferences.of(subscriber).to_json()
        | {"paused_until": _when(subscriber.paused_until)},
        "consent": {"status": subscriber.status, "status_changed_at":
                    _when(subscriber.status_changed_at), "consented_at":
                    _when(subscriber.consent_at), "consent_ip": subscriber.consent_ip,
                    "subscribed_since": _when(subscriber.created_at)},
        "history": [{"at": _when(entry.at), "by": entry.actor, "action": entry.action,
                     "from": entry.old_status, "to": entry.new_status, "reason": entry.reason,
                     "ip": entry.ip} for entry in subscriber.history.all()],
        "deliveries": [{"edition": _when(delivery.edition), "status": delivery.status,
                        "sent_at": _when(delivery.sent_at),
                        "papers": [{"arxiv_id": item.paper.arxiv_id, "title": item.paper.title,
                                    "why": item.matched} for item in delivery.items.all()]}
                       for delivery in deliveries],
        "votes": [{"at": _when(vote.voted_at), "arxiv_id": vote.paper.arxiv_id,
                   "title": vote.paper.title, "vote": vote.get_value_display()}
                  for vote in subscriber.votes.select_related("paper")],
        "follows": [{"since": _when(follow.followed_at), "arxiv_id": follow.paper.arxiv_id,
                     "title": follow.paper.title}
                    for follow in subscriber.follows.select_related("paper")],
        "updates_told": [{"edition": _when(told.delivery.edition),
                          "arxiv_id": told.event.paper.arxiv_id,
                          "update": told.event.get_kind_display(), "value": told.event.value}
                         for told in subscriber.updates_told.select_related(
                             "delivery", "event__paper").order_by("-delivery__edition")],
        "mail_events": [{"at": _when(event.occurred_at or event.received_at),
                         "type": event.event_type, "description": event.description}
                        for event in subscriber.mail_events.all()],
        "teams": [{"team": member.team.name, "sent_to": member.team.address,
                   "named": member.label, "joined_at": _when(member.confirmed_at)}
                  for member in subscriber.team_memberships.select_related("team")],
    }


@transaction.atomic
def subscriber_erase(*, subscriber: Subscriber, now: datetime) -> None:
    """Delete the reader and everything of theirs (deliveries, events, history, open
    sign-ups, team memberships and invitations); keep only the keyed hash of the address."""
    ErasedAddress.objects.get_or_create(address_hash=address_hash(subscriber.email),
                                        defaults={"erased_at": now})
    SignupRequest.objects.filter(email=subscriber.email).delete()
    TeamMember.objects.filter(email=subscriber.email).delete()  # invitations too
    subscriber.delete()
