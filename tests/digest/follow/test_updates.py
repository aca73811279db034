"""Which updates each reader's next digest carries: events on papers they follow, noticed
after they followed, told once, not at all when they turned updates off; and a reader with
updates but no new papers still gets a digest."""

import datetime

import pytest

from digest.editions.build import deliveries_build
from digest.models import Delivery, FollowUpdate, PaperEvent
from subscriptions.models import Subscriber
from tests.digest.follow.conftest import EDITION, ingest, send

pytestmark = pytest.mark.django_db


def told(reader, edition: datetime.date) -> set[tuple[str, str]]:
    return set(FollowUpdate.objects.filter(subscriber=reader, delivery__edition=edition)
               .values_list("event__paper__arxiv_id", "event__kind"))


def test_a_reader_with_updates_and_no_papers_gets_a_digest_of_them(readers):
    send(EDITION)
    ada = Delivery.objects.get(subscriber=readers["ada"], edition=EDITION)
    assert ada.status == Delivery.Status.SENT and not ada.items.exists()
    assert told(readers["ada"], EDITION) == {
        ("2611.20001", "code"), ("2611.20001", "project_page"), ("2611.20001", "upvotes"),
        ("2611.20001", "version")}


def test_no_updates_for_a_reader_who_turned_them_off_or_followed_after(readers):
    send(EDITION)
    for name in ("bob", "cy"):
        delivery = Delivery.objects.get(subscriber=readers[name], edition=EDITION)
        assert (delivery.status, delivery.reason) == (Delivery.Status.SKIPPED, "no matches")
        assert told(readers[name], EDITION) == set()


def test_an_event_is_told_once_and_a_later_one_in_a_later_digest(readers):
    send(EDITION)
    next_day = EDITION + datetime.timedelta(days=1)
    send(next_day)
    assert Delivery.objects.get(subscriber=readers["ada"], edition=next_day).status == "skipped"
    ingest("hf_day3.json")  # 120 -> 260 upvotes: Ada and Cy hear of it, Bob does not
    day_after = next_day + datetime.timedelta(days=1)
    send(day_after)
    assert told(readers["ada"], day_after) == {("2611.20001", "upvotes")}
    assert told(readers["cy"], day_after) == {("2611.20001", "upvotes")}
    assert told(readers["bob"], day_after) == set()
    assert FollowUpdate.objects.filter(subscriber=readers["ada"]).count() == 5


def test_a_reader_who_turns_updates_back_on_hears_what_is_still_untold(readers):
    bob = readers["bob"]
    bob.follow_updates = True
    bob.save()
    send(EDITION)
    assert len(told(bob, EDITION)) == 4


def test_building_an_edition_twice_tells_each_event_once(readers):
    first = deliveries_build(edition=EDITION, subscribers=Subscriber.objects.all())
    again = deliveries_build(edition=EDITION, subscribers=Subscriber.objects.all())
    sent = Delivery.objects.filter(edition=EDITION, status=Delivery.Status.PENDING)
    assert sorted(sent.values_list("subscriber__email", flat=True)) == [
        "ada@example.org", "dee@example.org"]
    assert first.to_send == sorted(sent.values_list("pk", flat=True)) and again.to_send == []
    assert FollowUpdate.objects.filter(subscriber=readers["ada"]).count() == 4


def test_unfollowing_stops_updates(readers):
    readers["ada"].follows.all().delete()
    send(EDITION)
    assert Delivery.objects.get(subscriber=readers["ada"], edition=EDITION).status == "skipped"
    assert told(readers["ada"], EDITION) == set()
    assert PaperEvent.objects.count() == 4  # the paper's events stay, for Cy
