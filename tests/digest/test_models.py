"""The digest's records: one delivery per subscriber and edition."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from digest.models import Delivery
from tests.subscriptions.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def test_one_delivery_per_subscriber_and_edition():
    reader = SubscriberFactory()
    day = datetime.date(2026, 11, 23)
    Delivery.objects.create(subscriber=reader, edition=day)
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(subscriber=reader, edition=day)
    Delivery.objects.create(subscriber=reader, edition=day + datetime.timedelta(days=1))
    assert Delivery.objects.count() == 2
