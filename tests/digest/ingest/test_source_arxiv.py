"""arXiv announcement feed adapter."""

from datetime import date

import httpx
import pytest

from digest.ingest.sources.arxiv import ArxivFeed, parse_feed, split_authors
from digest.ingest.sources.records import SourceError, VersionBump
from tests.sources import FakeInternet, atom_file, data

ARXIV = "rss.arxiv.org"


def test_it_keeps_new_and_cross_and_records_replacements_as_version_bumps():
    listing = parse_feed(data("arxiv_cs_lg_cl.xml"))
    assert [r.arxiv_id for r in listing.records] == ["2611.10001", "2611.10100"]
    assert listing.bumps == [VersionBump("2611.09000", 3), VersionBump("2611.08000", 2)]


def test_it_reads_title_abstract_authors_and_categories():
    new = parse_feed(data("arxiv_cs_lg_cl.xml")).records[0]
    assert new.title == "Scaling Laws for Sparse Autoencoders"
    assert new.abstract == ("We study how sparse autoencoders scale with dictionary size "
                            "and compute.")
    assert new.authors == ("Ada Lovelace", "Alan Turing", "Grace Hopper")
    assert new.categories == ("cs.LG", "cs.CL")
    assert new.announced_on == date(2026, 11, 20)
    assert new.arxiv_version == 1
    assert new.upvotes is None and new.featured_on is None  # HF's to say


def test_which_announcement_types_are_kept_is_configurable():
    listing = parse_feed(data("arxiv_cs_lg_cl.xml"), keep=("new",))
    assert [r.arxiv_id for r in listing.records] == ["2611.10001"]


@pytest.mark.parametrize(("creators", "names"), [
    ("A, B and C", ("A", "B", "C")),
    ("Marie Curie and Pierre Curie", ("Marie Curie", "Pierre Curie")),
    ("Solo Author", ("Solo Author",)),
    ("A, B, and C", ("A", "B", "C")),
])
def test_it_splits_creators(creators, names):
    assert split_authors(creators) == names


@pytest.mark.parametrize(("content", "message"), [
    (data("not_atom.xml"), "not an Atom feed"),
    (b"<feed><unclosed>", "not an Atom feed"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "not an Atom feed"),
])
def test_anything_but_an_atom_feed_is_a_clear_error(content, message):
    with pytest.raises(SourceError, match=message):
        parse_feed(content)


def test_requests_are_spaced_three_seconds_apart_on_one_feed_object():
    internet = FakeInternet()
    internet.queue(ARXIV, atom_file("arxiv_cs_lg_cl.xml"), httpx.Response(503),
                   atom_file("arxiv_cs_lg_cl.xml"))
    sleeps, now = [], [100.0]
    feed = ArxivFeed(internet.client(), sleep=sleeps.append, clock=lambda: now[0])
    feed.fetch(["cs.LG", "cs.CL"])
    now[0] += 1.0  # the next call comes one second later: it must wait two more
    feed.fetch(["cs.LG"])
    assert str(internet.requests[0].url) == "https://rss.arxiv.org/atom/cs.LG+cs.CL"
    assert sleeps == [2.0, 3.0]  # the wait before the call, then the retry after the 503


def test_it_refuses_categories_that_are_not_arxiv_categories():
    feed = ArxivFeed(FakeInternet().client(), sleep=lambda s: None)
    with pytest.raises(SourceError, match="not arXiv categories: ../x"):
        feed.fetch(["cs.LG", "../x"])


def feed_of(*entries: str) -> bytes:
    return ('<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/'
            'atom">' + "".join(entries) + "</feed>").encode()


def entry(entry_id: str, title: str = "A title", announce_type: str = "new") -> str:
    return (f"<entry><id>{entry_id}</id><title>{title}</title>"
            f"<arxiv:announce_type>{announce_type}</arxiv:announce_type></entry>")


GOOD = entry("oai:arXiv.org:2611.00001v1")


@pytest.mark.parametrize(("bad", "reason"), [
    (entry("oai:arXiv.org:nonsense"), "entry 2: 'oai:arXiv.org:nonsense' is not an arXiv id"),
    (entry("oai:arXiv.org:2611.00002v1", title=" "), "entry 2 (2611.00002): has no title"),
    (entry("oai:arXiv.org:2611.00002v99999999"),
     "entry 2 (2611.00002): version 99999999 is out of range"),
    (entry("oai:arXiv.org:2611.00002v99999999", announce_type="replace"),
     "entry 2 (2611.00002): version 99999999 is out of range"),
    (entry(f"oai:arXiv.org:{'a' * 30}/0000001v1"),
     f"entry 2 ({'a' * 30}/0000001): arxiv_id is 38 characters long, more than the 32"),
])
def test_an_entry_that_cannot_be_stored_is_skipped_with_one_line_and_the_rest_kept(bad, reason):
    listing = parse_feed(feed_of(GOOD, bad))
    assert [r.arxiv_id for r in listing.records] == ["2611.00001"]
    [line] = listing.skipped
    assert line.startswith(reason)


def test_a_feed_with_no_readable_entry_is_rejected_whole():
    with pytest.raises(SourceError, match="feed: none of its 2 items could be read; entry 1"):
        parse_feed(feed_of(entry("oai:arXiv.org:x"), entry("oai:arXiv.org:y")))


def test_a_feed_with_a_nul_character_is_not_atom():
    # XML cannot carry a NUL at all (not even as &#0;): the feed is rejected whole.
    for nul in (b"\x00", b"&#0;"):
        with pytest.raises(SourceError, match="not an Atom feed"):
            parse_feed(feed_of(GOOD).replace(b"A title", b"A " + nul + b"title"))


def test_an_empty_feed_is_an_empty_listing_not_an_error():
    assert parse_feed(feed_of()).records == []
