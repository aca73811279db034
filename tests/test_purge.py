import datetime

import pytest
from django.utils import timezone

from subscriptions.models import Subscriber
from subscriptions.retention import subscribers_purge_unconfirmed

pytestmark = pytest.mark.django_db


def test_only_signups_pending_past_a_week_are_deleted():
    now = timezone.now()
    stale = Subscriber.objects.create(email="stale@example.org")
    recent = Subscriber.objects.create(email="recent@example.org")
    unsubscribed = Subscriber.objects.create(
        email="gone@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    Subscriber.objects.filter(pk__in=[stale.pk, unsubscribed.pk]).update(
        status_changed_at=now - datetime.timedelta(days=8))
    # Pending again for 6 days (a resubscription), though it signed up long ago.
    Subscriber.objects.filter(pk=recent.pk).update(
        status_changed_at=now - datetime.timedelta(days=6),
        created_at=now - datetime.timedelta(days=400))

    assert subscribers_purge_unconfirmed(now=now) == 1
    assert set(Subscriber.objects.values_list("email", flat=True)) == {
        "recent@example.org", "gone@example.org"}
