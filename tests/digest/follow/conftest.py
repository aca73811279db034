"""Recorded listings of a few papers over three days, and readers who follow one of them."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from digest.models import Paper
from tests.digest.factories import FollowFactory
from tests.sources import DATA
from tests.subscriptions.factories import SubscriberFactory

FOLLOW = DATA / "follow"
EDITION = datetime.date(2026, 11, 19)  # the day after the listings' featured day


def ingest(*names: str) -> None:
    call_command("ingest", *[arg for name in names for arg in ("--file", str(FOLLOW / name))],
                 stdout=StringIO())


def send(edition: datetime.date) -> None:
    call_command("send_digests", "--date", edition.isoformat(), stdout=StringIO())


@pytest.fixture
def readers():
    """Day 1 stored. Ada, Bob and Dee follow the first paper (Bob turned updates off); only
    Dee's lines match a paper (speech). Cy follows it only once day 2's changes are in."""
    ingest("hf_day1.json", "arxiv_day1.xml")
    first = Paper.objects.get(arxiv_id="2611.20001")
    nothing = "quantum chromodynamics"
    found = {"ada": SubscriberFactory(email="ada@example.org", interests=nothing),
             "bob": SubscriberFactory(email="bob@example.org", interests=nothing,
                                      follow_updates=False),
             "cy": SubscriberFactory(email="cy@example.org", interests=nothing),
             "dee": SubscriberFactory(email="dee@example.org", interests="speech")}
    for name in ("ada", "bob", "dee"):
        FollowFactory(subscriber=found[name], paper=first)
    ingest("hf_day2.json", "arxiv_day2.xml")
    FollowFactory(subscriber=found["cy"], paper=first)
    return found
