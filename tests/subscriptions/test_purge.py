import datetime

import pytest
from django.utils import timezone

from subscriptions.models import SignupRequest, Subscriber
from subscriptions.retention import signup_requests_purge
from tests.subscriptions.factories import SignupRequestFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def test_sign_ups_are_kept_as_long_as_their_link_works_and_opt_outs_forever(settings):
    settings.CONFIRM_LINK_MAX_AGE_DAYS = 7
    now = timezone.now()
    for email, age in [("stale@example.org", 8), ("recent@example.org", 6)]:
        SignupRequestFactory(email=email, requested_at=now - datetime.timedelta(days=age))
    SubscriberFactory(email="gone@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    Subscriber.objects.filter(email="gone@example.org").update(
        status_changed_at=now - datetime.timedelta(days=800))

    assert signup_requests_purge(now=now) == 1
    assert list(SignupRequest.objects.values_list("email", flat=True)) == ["recent@example.org"]
    assert Subscriber.objects.get().email == "gone@example.org"
