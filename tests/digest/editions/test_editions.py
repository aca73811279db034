"""Editions: who is due (paused readers are not; weekly readers on Mondays) and one row per
reader and edition however often an edition is built."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from digest.editions.build import deliveries_build
from digest.editions.due import subscribers_for_edition
from digest.models import Delivery
from tests.delivery_fixtures import EDITION, make_reader

pytestmark = pytest.mark.django_db


def send(*args) -> str:
    out = StringIO()
    call_command("send_digests", "--date", EDITION.isoformat(), *args, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_building_twice_makes_no_second_row(readers):
    due = subscribers_for_edition(edition=EDITION)
    first = deliveries_build(edition=EDITION, subscribers=due)
    again = deliveries_build(edition=EDITION, subscribers=subscribers_for_edition(
        edition=EDITION).model.objects.all())
    assert len(first.to_send) == 3 and again.to_send == []
    assert Delivery.objects.count() == 4


def test_paused_readers_are_not_due(readers):
    readers["grace"].paused_until = EDITION
    readers["grace"].save()
    send()
    assert "grace@example.org" not in [m.to[0] for m in mail.outbox]
    assert not Delivery.objects.filter(subscriber=readers["grace"]).exists()


def test_weekly_readers_get_the_monday_edition(papers):
    weekly = make_reader("w@example.org", frequency="weekly", interests="speech")
    call_command("send_digests", "--date", "2026-11-21", stdout=StringIO())  # a Saturday
    assert not Delivery.objects.filter(subscriber=weekly).exists()
    call_command("send_digests", "--date", "2026-11-23", stdout=StringIO())  # a Monday
    assert Delivery.objects.get(subscriber=weekly).status == "sent"
