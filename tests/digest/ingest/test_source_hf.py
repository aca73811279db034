"""Hugging Face Daily Papers adapter, on recorded responses written for the project."""

import json
from datetime import date

import httpx
import pytest

from digest.ingest.sources import hf_daily
from digest.ingest.sources.http import build_client
from digest.ingest.sources.records import SourceError, SourceUnavailable
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
    records = fetch(internet, sleeps, day=DAY, page_size=2).records
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
    first = hf_daily.parse_listing(json.loads(data("hf_day_page0.json"))).records[0]
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
    required_only, all_null = fetch(internet, sleeps, day=DAY).records
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
    listing = fetch(internet, sleeps, day=DAY)
    assert len(listing.records) == 1
    assert sleeps == [7.0, 42.0]


def test_a_server_asking_for_a_longer_wait_than_allowed_fails_at_once(internet, sleeps):
    internet.queue(HF, httpx.Response(429, headers={"RateLimit-Reset": "900"}))
    with pytest.raises(SourceUnavailable, match="asked to wait 900 s, longer than the 300 s"):
        fetch(internet, sleeps, day=DAY)
    assert len(internet.requests) == 1 and sleeps == []


def test_5xx_and_timeouts_back_off_exponentially_with_jitter_then_give_up_with_one_line(
        internet, sleeps):
    internet.queue(HF, httpx.Response(500), httpx.ReadTimeout("slow"), httpx.Response(502),
                   httpx.Response(503), httpx.Response(504))
    with pytest.raises(SourceUnavailable) as raised:
        fetch(internet, sleeps, day=DAY)
    assert len(internet.requests) == 5
    # Each wait lies in the upper half of 1, 2, 4, 8 seconds.
    assert len(sleeps) == 4
    assert all(2 ** n / 2 <= wait <= 2 ** n for n, wait in enumerate(sleeps))
    assert "failed 5 times, last: 504" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_503_with_retry_after_waits_at_least_that_long(internet, sleeps):
    internet.queue(HF, httpx.Response(503, headers={"Retry-After": "30"}),
                   json_file("hf_day_page1.json"))
    assert len(fetch(internet, sleeps, day=DAY).records) == 1
    assert sleeps == [30.0]


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


GOOD = {"paper": {"id": "2611.00001", "title": "A good paper"}}


@pytest.mark.parametrize(("item", "reason"), [
    ({"title": "no paper"}, "item 2: has no 'paper' object"),
    ({"paper": {"id": "../../etc", "title": "x"}}, "item 2: paper.id '../../etc' is not an"),
    ({"paper": {"id": "2611.00002", "title": "  "}}, "item 2 (2611.00002): has no title"),
    ({"paper": {"id": "2611.00002", "title": "t", "submittedOnDailyAt": "soon"}},
     "item 2: 'soon' is not a timestamp"),
    ({"paper": {"id": "2611.00002", "title": "Nul\u0000byte"}},
     "item 2 (2611.00002): title contains a NUL character"),
    ({"paper": {"id": "2611.00002", "title": "t", "ai_keywords": ["ok", "n\u0000l"]}},
     "item 2 (2611.00002): ai_keywords contains a NUL character"),
    ({"paper": {"id": "2611.00002", "title": "Half a \ud800 pair"}},
     "item 2 (2611.00002): title is not valid Unicode"),
    ({"paper": {"id": "2611.00002", "title": "t", "organization": {"fullname": "x" * 201}}},
     "item 2 (2611.00002): organization is 201 characters long, more than the 200 allowed"),
    ({"paper": {"id": "2611.00002", "title": "t",
                "githubRepo": "https://github.com/" + "a" * 490}},
     "item 2 (2611.00002): github_repo is 509 characters long, more than the 500 allowed"),
    ({"paper": {"id": "2611.00002", "title": "t"}, "thumbnail": "https://x.org/" + "t" * 500},
     "item 2 (2611.00002): thumbnail is 514 characters long"),
    ({"paper": {"id": "2611.00002", "title": "t", "upvotes": 10 ** 12}},
     "item 2 (2611.00002): upvotes 1000000000000 is out of range"),
])
def test_an_item_that_cannot_be_stored_is_skipped_with_one_line_and_the_rest_kept(
        internet, sleeps, item, reason):
    internet.queue(HF, httpx.Response(200, content=json.dumps([GOOD, item, GOOD])))
    listing = fetch(internet, sleeps, day=DAY)
    assert [r.arxiv_id for r in listing.records] == ["2611.00001", "2611.00001"]
    [line] = listing.skipped
    assert line.startswith(reason) and "\n" not in line and len(line) < 200


def test_items_are_numbered_across_pages(internet, sleeps):
    bad = {"paper": {"id": "2611.00009", "title": "Nul\u0000byte"}}
    internet.queue(HF, httpx.Response(200, json=[GOOD, GOOD]), httpx.Response(200, json=[bad]))
    listing = fetch(internet, sleeps, day=DAY, page_size=2)
    assert listing.skipped == ["item 3 (2611.00009): title contains a NUL character"]


def test_infinite_or_nan_counts_read_as_unknown():
    [record] = hf_daily.parse_listing(json.loads(
        '[{"paper": {"id": "2611.00001", "title": "t", "upvotes": Infinity, '
        '"githubStars": NaN}}]')).records
    assert record.upvotes == 0 and record.github_stars is None


@pytest.mark.parametrize(("content", "message"), [
    (b'{"error": "x"}', "expected a JSON array"),
    (b"[" * 100_000, "not valid JSON"),
    (b"[1" + b"0" * 5000 + b"]", "not valid JSON"),
    (json.dumps([{"title": "no paper"}]).encode(),
     "none of its 1 item could be read; item 1: has no 'paper' object"),
    (json.dumps([{"paper": {"id": "x"}}, {"paper": {"id": "2611.1", "title": "t"}}]).encode(),
     "none of its 2 items could be read; item 1: paper.id 'x' is not an arXiv id"),
])
def test_a_listing_with_no_readable_item_is_rejected_whole(internet, sleeps, content, message):
    internet.queue(HF, httpx.Response(200, content=content))
    with pytest.raises(SourceError, match=message) as raised:
        fetch(internet, sleeps, day=DAY)
    assert "\n" not in str(raised.value)
