"""One rule for waiting before a retry: exponential backoff with jitter, and the wait a
server asks for (Retry-After as seconds or a date, RateLimit), proven on an injected clock."""

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from requests.structures import CaseInsensitiveDict

from digest.backoff import RetryPolicy, backoff_delay, retry_after_seconds
from digest.ingest.sources.http import get_with_retries
from tests.sources import FakeInternet

NOW = datetime(2026, 11, 20, 7, 0, 0, tzinfo=UTC)


def test_waits_double_from_half_the_base_up_to_the_maximum():
    lowest = [backoff_delay(n, base=1.0, maximum=60.0, random=lambda: 0.0) for n in range(1, 9)]
    highest = [backoff_delay(n, base=1.0, maximum=60.0, random=lambda: 1.0) for n in range(1, 9)]
    assert lowest == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert highest == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


def test_jittered_waits_stay_in_the_upper_half_of_each_doubling():
    dice = random.Random(12)
    for attempt in range(1, 12):
        ceiling = min(300.0, 2.0 * 2 ** (attempt - 1))
        waits = [backoff_delay(attempt, base=2.0, maximum=300.0, random=dice.random)
                 for _ in range(200)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 150  # spread out, not all alike


def test_a_very_late_attempt_waits_the_maximum_without_overflowing():
    assert backoff_delay(5000, base=1.0, maximum=60.0, random=lambda: 1.0) == 60.0


def test_a_policy_says_the_longest_it_can_wait_on_one_request():
    assert RetryPolicy(attempts=4, base=2.0, maximum=20.0).longest_wait == 60.0


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"Retry-After": "7"}, 7.0),
    ({"retry-after": " 120 "}, 120.0),
    ({"Retry-After": "1.5"}, 1.5),
    ({"Retry-After": http_date(NOW + timedelta(seconds=90))}, 90.0),
    ({"Retry-After": "Fri, 20 Nov 2026 07:00:30 -0000"}, 30.0),  # no zone: UTC
    ({"Retry-After": http_date(NOW - timedelta(hours=1))}, 0.0),  # already past
    ({"RateLimit": '"api";r=0;t=42'}, 42.0),
    ({"RateLimit": '"burst";r=5;t=2, "day";r=0;t=3600'}, 3600.0),  # the exhausted policy
    ({"RateLimit": '"burst";r=5;t=2, "day";r=9;t=60'}, 60.0),
    ({"RateLimit": "limit=100, remaining=0, reset=12"}, 12.0),  # an older draft
    ({"RateLimit-Reset": "12"}, 12.0),
    ({"Retry-After": "5", "RateLimit": '"api";r=0;t=42'}, 5.0),  # Retry-After first
    ({"Retry-After": "soon", "RateLimit-Reset": "9"}, 9.0),
    ({"Retry-After": "soon"}, None),
    ({"Retry-After": "-3"}, None),
    ({"Retry-After": "1" * 400}, None),  # not a finite number
    ({"Retry-After": "٣"}, None),  # an Arabic-Indic three: not HTTP's digits
    ({"RateLimit": '"api";q=100'}, None),
    ({}, None),
])
def test_it_reads_the_wait_a_server_asks_for(headers, seconds):
    assert retry_after_seconds(headers, now=NOW) == seconds


def test_it_reads_headers_however_they_are_spelt():
    asked = CaseInsensitiveDict({"RETRY-AFTER": "3"})  # what requests (and Anymail) hand over
    assert retry_after_seconds(asked, now=NOW) == 3.0
    assert retry_after_seconds(httpx.Headers({"rEtRy-AfTeR": "4"}), now=NOW) == 4.0


def test_the_sources_client_waits_until_the_date_a_503_names_on_the_injected_clock():
    internet = FakeInternet()
    later = http_date(NOW + timedelta(seconds=45))
    internet.queue("example.org", httpx.Response(503, headers={"Retry-After": later}),
                   httpx.Response(200, text="ok"))
    sleeps = []
    response = get_with_retries(internet.client(), "https://example.org/", sleep=sleeps.append,
                                now=lambda: NOW)
    assert response.text == "ok" and sleeps == [45.0]


def test_the_sources_client_never_retries_sooner_than_its_backoff():
    internet = FakeInternet()
    internet.queue("example.org", *[httpx.Response(429, headers={"Retry-After": "0"})] * 3,
                   httpx.Response(200, text="ok"))
    sleeps = []
    get_with_retries(internet.client(), "https://example.org/", sleep=sleeps.append,
                     random=lambda: 1.0, retries=RetryPolicy(attempts=4, base=2.0, maximum=20.0))
    assert sleeps == [2.0, 4.0, 8.0]
