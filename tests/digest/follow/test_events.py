"""Ingestion noticing what changed on followed papers: recorded listings in, exactly the
expected events out, none for papers nobody follows, and none again on a re-ingest."""

import datetime

import pytest
from django.utils import timezone

from digest.follow.events import Watched, changes_between
from digest.ingest.runs import ingest_hf
from digest.models import Paper, PaperEvent
from tests.digest.factories import FollowFactory
from tests.digest.follow.conftest import ingest
from tests.sources import FakeInternet, json_file

pytestmark = pytest.mark.django_db


def events() -> set[tuple[str, str, str]]:
    return set(PaperEvent.objects.values_list("paper__arxiv_id", "kind", "value"))


@pytest.fixture
def followed():
    """Day 1's listings stored; a reader follows the first two papers, nobody the third."""
    ingest("hf_day1.json", "arxiv_day1.xml")
    for arxiv_id in ("2611.20001", "2611.20002"):
        FollowFactory(paper=Paper.objects.get(arxiv_id=arxiv_id))


DAY_2_EVENTS = {
    ("2611.20001", "code", "https://github.com/example/trr"),
    ("2611.20001", "project_page", "https://example.org/trr"),
    ("2611.20001", "upvotes", "100"),  # 8 -> 120: the highest milestone passed, once
    ("2611.20001", "version", "2"),  # a `replace` announcement
    ("2611.20002", "upvotes", "50"),  # 45 -> 52
    ("2611.20002", "version", "3"),  # a cross-listing that carries v3
}


def test_the_next_days_listings_become_exactly_the_expected_events(followed):
    ingest("hf_day2.json", "arxiv_day2.xml")
    assert events() == DAY_2_EVENTS
    # The third paper changed as much (upvotes, code, a new version), but nobody follows it.
    third = Paper.objects.get(arxiv_id="2611.20003")
    assert (third.upvotes, third.arxiv_version) == (30, 2)
    assert not PaperEvent.objects.filter(paper=third).exists()


def test_re_ingesting_unchanged_listings_adds_no_event(followed):
    ingest("hf_day1.json", "arxiv_day1.xml")
    assert events() == set()
    ingest("hf_day2.json", "arxiv_day2.xml")
    noticed = dict(PaperEvent.objects.values_list("pk", "noticed_at"))
    ingest("hf_day2.json", "arxiv_day2.xml")
    ingest("arxiv_day2.xml")
    assert events() == DAY_2_EVENTS
    assert dict(PaperEvent.objects.values_list("pk", "noticed_at")) == noticed


def test_a_change_a_listing_repeats_is_stored_once(followed):
    """Upvotes fall back (an older listing read again) and rise past 100 a second time; the
    code link disappears and comes back: still one event each."""
    ingest("hf_day2.json")
    ingest("hf_day1.json")
    ingest("hf_day2.json")
    assert PaperEvent.objects.filter(paper__arxiv_id="2611.20001", kind="upvotes").count() == 1
    assert PaperEvent.objects.filter(paper__arxiv_id="2611.20001", kind="code").count() == 1


def test_a_later_milestone_is_a_new_event(followed):
    ingest("hf_day2.json")
    ingest("hf_day3.json")  # 120 -> 260
    assert sorted(PaperEvent.objects.filter(paper__arxiv_id="2611.20001", kind="upvotes")
                  .values_list("value", flat=True)) == ["100", "250"]


def test_the_daily_hugging_face_run_notices_changes_too(followed):
    internet = FakeInternet()
    internet.queue("huggingface.co", json_file("follow/hf_day2.json"))
    with internet.client() as client:
        run = ingest_hf(client=client, day=datetime.date(2026, 11, 18), sleep=lambda _: None)
    assert run.status == "succeeded" and run.updated == 3
    assert {event for event in events() if event[1] != "version"} == {
        event for event in DAY_2_EVENTS if event[1] != "version"}


def test_an_event_is_dated_when_ingestion_noticed_it(followed):
    before = timezone.now()
    ingest("hf_day2.json")
    assert all(before <= event.noticed_at <= timezone.now()
               for event in PaperEvent.objects.all())


@pytest.mark.parametrize(("before", "after", "expected"), [
    (("", "", 1, 0), ("", "", 1, 9), []),
    (("", "", 1, 9), ("", "", 1, 10), [("upvotes", "10")]),
    (("", "", 1, 49), ("", "", 1, 251), [("upvotes", "250")]),
    (("", "", 1, 300), ("", "", 1, 400), []),
    (("https://github.com/a/b", "", 1, 0), ("https://github.com/a/c", "", 1, 0), []),
    (("", "", 2, 0), ("", "https://a.example", 3, 0),
     [("version", "3"), ("project_page", "https://a.example")]),
])
def test_what_counts_as_a_change(before, after, expected):
    assert changes_between(Watched(*before), Watched(*after)) == expected
