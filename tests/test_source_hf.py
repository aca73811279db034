"""Hugging Face Daily Papers adapter, on recorded responses written for the project."""

import json
from datetime import date

import httpx
import pytest

from digest.sources import hf_daily
from digest.sources.http import build_client
from digest.sources.records import SourceError, SourceUnavailable
from tests.sources import FakeInternet, data, json_file

HF = "huggingface.co"
DAY = date(2026, 11, 19)


@pytest.fixture
def internet():
    return FakeInternet()


@pytest.fixture
def sleeps():
    return []


def fetch(internet, sleeps, **kwargs):
    return hf_daily.fetch_listing(internet.client(), sleep=sleeps.append, **kwargs)


def test_it_follows_pages_until_a_short_page(internet, sleeps):
    internet.queue(HF, json_file("hf_day_page0.json"), json_file("hf_day_page1.json"))
    records = fetch(internet, sleeps, day=DAY, page_size=2)
    assert [r.arxiv_id for r in records] == ["2611.10001", "2611.10002", "2611.10003"]
    assert [r.url.params["p"] for r in internet.requests] == ["0", "1"]
    assert {r.url.params["date"] for r in internet.requests} == {"2026-11-19"}
    assert {r.url.params["limit"] for r in internet.requests} == {"2"}


def test_it_asks_for_a_week_or_the_trending_list(internet, sleeps):
    internet.queue(HF, json_file("hf_day_page1.json"), json_file("hf_day_page1.json"))
    fetch(internet, sleeps, week="2026-W47")
    fetch(internet, sleeps, trending=True)
    assert internet.requests[0].url.params["week"] == "2026-W47"
    assert internet.requests[1].url.params["sort"] == "trending"


def test_the_client_names_the_project_in_its_user_agent():
    with build_client(site_url="https://paperboy.example.org") as client:
        assert client.headers["User-Agent"] == "Paperboy/0.1 (+https://paperboy.example.org)"
        assert client.timeout.read == 30.0


def test_it_reads_every_field_and_drops_hidden_authors():
    first = hf_daily.parse_listing(json.loads(data("hf_day_page0.json")))[0]
    assert first.title == "Scaling Laws for Sparse Autoencoders"
    assert first.authors == ("Ada Lovelace", "Alan Turing")
    assert first.featured_on == date(2026, 11, 19)
    assert first.published_at.isoformat() == "2026-11-17T18:00:00+00:00"
    assert first.upvotes == 40 and first.num_comments == 2
    assert first.github_repo == "https://github.com/example/sae" and first.github_stars == 120
    assert first.ai_summary == "SAEs follow power laws."
    assert first.ai_keywords == ("sparse autoencoders", "scaling laws")
    assert first.organization == "Example Lab"
    assert first.project_page == ""  # a javascript: URL never reaches a page or a mail


def test_it_tolerates_every_optional_field_missing_or_null(internet, sleeps):
    internet.queue(HF, json_file("hf_optional_fields_missing.json"))
    required_only, all_null = fetch(internet, sleeps, day=DAY)
    for record in (required_only, all_null):
        assert record.featured_on == DAY
        assert record.upvotes == 0 and record.num_comments == 0
        assert record.github_repo == "" and record.github_stars is None
        assert record.ai_keywords == () and record.organization == ""
        assert record.abstract is None and record.authors is None  # arXiv's, if it has them
    assert all_null.title == "Everything Null"


def test_a_429_waits_as_asked_then_succeeds(internet, sleeps):
    internet.queue(HF, httpx.Response(429, headers={"Retry-After": "7"}),
                   httpx.Response(429, headers={"RateLimit": '"api";r=0;t=42'}),
                   json_file("hf_day_page1.json"))
    records = fetch(internet, sleeps, day=DAY)
    assert len(records) == 1
    assert sleeps == [7.0, 42.0]


def test_5xx_and_timeouts_back_off_then_give_up_with_one_line(internet, sleeps):
    internet.queue(HF, httpx.Response(500), httpx.ReadTimeout("slow"), httpx.Response(502),
                   httpx.Response(503), httpx.Response(504))
    with pytest.raises(SourceUnavailable) as raised:
        fetch(internet, sleeps, day=DAY)
    assert len(internet.requests) == 5
    assert sleeps == [1.0, 2.0, 4.0, 8.0]
    assert "failed 5 times, last: 504" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_bad_date_is_a_clear_error_not_a_retry(internet, sleeps):
    internet.queue(HF, httpx.Response(400, json={"error": "Invalid date"}))
    with pytest.raises(SourceError, match="answered 400.*Invalid date") as raised:
        fetch(internet, sleeps, day=date(1999, 1, 1))
    assert not isinstance(raised.value, SourceUnavailable)
    assert len(internet.requests) == 1 and sleeps == []


def test_malformed_json_is_a_clear_error(internet, sleeps):
    internet.queue(HF, json_file("hf_malformed.json"))
    with pytest.raises(SourceError, match="not valid JSON"):
        fetch(internet, sleeps, day=DAY)


@pytest.mark.parametrize(("items", "message"), [
    ({"error": "x"}, "expected a JSON array"),
    ([{"title": "no paper"}], "item 1: has no 'paper' object"),
    ([{"paper": {"id": "../../etc", "title": "x"}}], "is not an arXiv id"),
    ([{"paper": {"id": "2611.00001", "title": "  "}}], "has no title"),
    ([{"paper": {"id": "2611.00001", "title": "t", "submittedOnDailyAt": "soon"}}],
     "not a timestamp"),
])
def test_a_malformed_item_rejects_the_listing(internet, sleeps, items, message):
    internet.queue(HF, httpx.Response(200, json=items))
    with pytest.raises(SourceError, match=message):
        fetch(internet, sleeps, day=DAY)
