"""How long Paperboy keeps what: an address that never opted in is not kept."""

from datetime import datetime, timedelta

from subscriptions.models import Subscriber

# A confirmation link older than this is dead; the address never opted in, so
# nothing of it is kept (consent is the only reason to hold an address).
UNCONFIRMED_RETENTION = timedelta(days=7)


def subscribers_purge_unconfirmed(*, now: datetime,
                                  older_than: timedelta = UNCONFIRMED_RETENTION) -> int:
    """Delete sign-ups that stayed pending past `older_than`; returns how many."""
    _, deleted_by_model = Subscriber.objects.filter(
        status=Subscriber.Status.PENDING, status_changed_at__lt=now - older_than
    ).delete()
    return deleted_by_model.get(Subscriber._meta.label, 0)
