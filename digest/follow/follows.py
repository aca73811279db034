"""Following a paper and stopping: what the "Follow this paper" link's page and the manage
page's "Unfollow" buttons do."""

from datetime import datetime

from digest.models import Follow, Paper
from subscriptions.models import Subscriber


def follow_record(*, subscriber: Subscriber, paper: Paper, now: datetime) -> Follow:
    """The reader follows the paper from `now` on; a second click keeps the first follow
    (and so what they have been told since)."""
    follow, _ = Follow.objects.get_or_create(subscriber=subscriber, paper=paper,
                                             defaults={"followed_at": now})
    return follow


def follow_remove(*, subscriber: Subscriber, paper: Paper) -> bool:
    deleted, _ = Follow.objects.filter(subscriber=subscriber, paper=paper).delete()
    return bool(deleted)
