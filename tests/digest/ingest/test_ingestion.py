"""Records into Paper rows: merged, idempotent, in bulk, and every run on record."""

import json
from datetime import date

import httpx
import pytest

from digest.ingest.runs import ingest, ingest_arxiv, ingest_hf
from digest.ingest.sources import hf_daily
from digest.ingest.sources.arxiv import ArxivFeed, parse_feed
from digest.ingest.sources.records import MAX_LENGTHS, Listing, PaperRecord
from digest.ingest.upsert import papers_upsert
from digest.models import IngestRun, Paper
from tests.sources import FakeInternet, atom_file, data, json_file

pytestmark = pytest.mark.django_db


def hf_records(name):
    return hf_daily.parse_listing(json.loads(data(name))).records


def test_ingesting_the_same_listing_twice_leaves_the_same_rows():
    first = papers_upsert(records=hf_records("hf_day_page0.json"))
    rows = list(Paper.objects.order_by("arxiv_id").values())
    second = papers_upsert(records=hf_records("hf_day_page0.json"))
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert list(Paper.objects.order_by("arxiv_id").values()) == rows


def test_a_later_listing_with_more_upvotes_updates_them():
    papers_upsert(records=hf_records("hf_day_page0.json"))
    counts = papers_upsert(records=hf_records("hf_day_later.json"))
    assert (counts.created, counts.updated, counts.unchanged) == (0, 1, 0)
    paper = Paper.objects.get(arxiv_id="2611.10001")
    assert (paper.upvotes, paper.github_stars) == (95, 150)


@pytest.mark.parametrize("hf_first", [True, False])
def test_a_paper_from_both_sources_is_one_row_with_both_sides_fields(hf_first):
    hf = hf_records("hf_day_page0.json")
    arxiv = parse_feed(data("arxiv_cs_lg_cl.xml"))
    if hf_first:
        papers_upsert(records=hf)
        papers_upsert(records=arxiv.records, bumps=arxiv.bumps)
    else:
        papers_upsert(records=arxiv.records, bumps=arxiv.bumps)
        papers_upsert(records=hf)
    paper = Paper.objects.get(arxiv_id="2611.10001")
    assert Paper.objects.filter(arxiv_id="2611.10001").count() == 1
    assert paper.upvotes == 40 and paper.github_repo == "https://github.com/example/sae"
    assert paper.ai_keywords == ["sparse autoencoders", "scaling laws"]
    assert paper.featured_on == date(2026, 11, 19)
    assert paper.categories == ["cs.LG", "cs.CL"]
    assert paper.announced_on == date(2026, 11, 20)


def test_hf_silence_keeps_the_abstract_and_authors_arxiv_gave():
    arxiv = parse_feed(data("arxiv_cs_lg_cl.xml"))
    papers_upsert(records=arxiv.records)
    papers_upsert(records=[PaperRecord(arxiv_id="2611.10001", title="Scaling Laws for "
                                       "Sparse Autoencoders", upvotes=3)])
    paper = Paper.objects.get(arxiv_id="2611.10001")
    assert paper.authors == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert paper.abstract.startswith("We study how sparse autoencoders scale")


def test_a_replacement_bumps_the_version_of_a_known_paper_only():
    papers_upsert(records=[PaperRecord(arxiv_id="2611.09000", title="An Older Paper")])
    arxiv = parse_feed(data("arxiv_cs_lg_cl.xml"))
    counts = papers_upsert(records=arxiv.records, bumps=arxiv.bumps)
    assert Paper.objects.get(arxiv_id="2611.09000").arxiv_version == 3
    assert not Paper.objects.filter(arxiv_id="2611.08000").exists()
    assert (counts.created, counts.updated) == (2, 1)


def test_writes_are_bulk_not_a_query_per_paper(django_assert_max_num_queries):
    # PostgreSQL takes a 500-paper batch in one INSERT; SQLite's parameter limit splits it
    # into a few. Either way, far fewer statements than papers.
    records = [PaperRecord(arxiv_id=f"2611.{n:05d}", title=f"Paper {n}", upvotes=n)
               for n in range(300)]
    with django_assert_max_num_queries(20):
        assert papers_upsert(records=records).created == 300
    with django_assert_max_num_queries(20):
        papers_upsert(records=[PaperRecord(arxiv_id=r.arxiv_id, upvotes=r.upvotes + 1)
                               for r in records])
    assert Paper.objects.filter(upvotes__gte=1).count() == 300


def test_a_run_that_fails_half_way_writes_no_papers_and_says_why():
    def fetch():
        good = PaperRecord(arxiv_id="2611.00001", title="Fine")
        bad = PaperRecord(arxiv_id="2611.00002", title="Broken", upvotes=-1)  # db refuses
        return Listing(records=[good, bad])

    with pytest.raises(Exception):  # noqa: B017 - any database error will do
        ingest(source=IngestRun.Source.FILE, request={"files": ["x"]}, fetch=fetch)
    assert Paper.objects.count() == 0
    run = IngestRun.objects.get()
    assert run.status == IngestRun.Status.FAILED
    assert run.error and "\n" not in run.error and run.finished_at


def test_an_unreachable_source_is_a_failed_run_with_a_one_line_reason():
    internet = FakeInternet()
    internet.queue("huggingface.co", *[httpx.Response(500)] * 5)
    run = ingest_hf(client=internet.client(), day=date(2026, 11, 19), sleep=lambda s: None)
    assert run.status == IngestRun.Status.FAILED
    assert run.error.endswith("failed 5 times, last: 500 Internal Server Error")
    assert run.request == {"date": "2026-11-19"}
    assert Paper.objects.count() == 0


def test_successful_runs_record_what_they_asked_and_what_they_changed():
    internet = FakeInternet()
    internet.queue("huggingface.co", json_file("hf_day_page1.json"))
    internet.queue("rss.arxiv.org", atom_file("arxiv_cs_lg_cl.xml"))
    hf = ingest_hf(client=internet.client(), day=date(2026, 11, 19))
    arxiv = ingest_arxiv(feed=ArxivFeed(internet.client()), categories=["cs.LG", "cs.CL"])
    assert (hf.status, hf.created, hf.request) == ("succeeded", 1, {"date": "2026-11-19"})
    assert (arxiv.status, arxiv.created) == ("succeeded", 2)
    assert arxiv.request == {"categories": ["cs.LG", "cs.CL"], "keep": ["new", "cross"]}
    assert hf.finished_at >= hf.started_at


HOSTILE_ITEMS = [  # each fails a PostgreSQL write; SQLite would have stored the first four
    {"paper": {"id": "2611.00002", "title": "A \u0000 in the title"}},
    {"paper": {"id": "2611.00003", "title": "t", "authors": [{"name": "Nul\u0000"}]}},
    {"paper": {"id": "2611.00004", "title": "t", "organization": {"name": "o" * 201}}},
    {"paper": {"id": "2611.00005", "title": "t", "projectPage": "https://x.org/" + "p" * 500}},
    {"paper": {"id": "2611.00006", "title": "t", "githubStars": 2 ** 31}},
]


def test_items_the_database_would_refuse_are_skipped_and_the_run_says_which_and_why():
    good = {"paper": {"id": "2611.00001", "title": "A good paper", "upvotes": 3}}
    internet = FakeInternet()
    internet.queue("huggingface.co", httpx.Response(200, json=[good, *HOSTILE_ITEMS]))
    run = ingest_hf(client=internet.client(), day=date(2026, 11, 19))
    assert (run.status, run.created, run.skipped) == ("succeeded", 1, 5)
    assert list(Paper.objects.values_list("arxiv_id", flat=True)) == ["2611.00001"]
    assert run.skip_reasons.splitlines() == [
        "item 2 (2611.00002): title contains a NUL character",
        "item 3 (2611.00003): authors contains a NUL character",
        "item 4 (2611.00004): organization is 201 characters long, more than the 200 allowed",
        "item 5 (2611.00005): project_page is 514 characters long, more than the 500 allowed",
        "item 6 (2611.00006): github_stars 2147483648 is out of range",
    ]


def test_the_longest_values_the_check_lets_through_are_stored():
    record = PaperRecord(arxiv_id="a" * 21 + "/0000001", title="t", organization="o" * 200,
                         github_repo="https://g.org/" + "g" * 486, upvotes=2 ** 31 - 1)
    assert len(record.arxiv_id) == 29 and len(record.github_repo) == 500
    assert papers_upsert(records=[record]).created == 1
    assert Paper.objects.get().organization == "o" * 200


def test_the_sources_length_limits_are_the_paper_columns():
    assert {name: Paper._meta.get_field(name).max_length for name in MAX_LENGTHS} == MAX_LENGTHS


def test_a_run_keeps_a_bounded_list_of_skip_reasons():
    bad = [{"paper": {"id": f"2611.{n:05d}", "title": "\u0000"}} for n in range(150)]
    good = {"paper": {"id": "2611.99999", "title": "fine"}}
    internet = FakeInternet()
    internet.queue("huggingface.co", httpx.Response(200, json=[good, *bad[:99]]),
                   httpx.Response(200, json=bad[99:]))  # two pages of 100 and 51
    run = ingest_hf(client=internet.client(), day=date(2026, 11, 19))
    assert run.skipped == 150
    assert len(run.skip_reasons.splitlines()) == 101
    assert run.skip_reasons.endswith("... and 50 more")
