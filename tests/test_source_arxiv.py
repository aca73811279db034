"""arXiv announcement feed adapter."""

from datetime import date

import httpx
import pytest

from digest.sources.arxiv import ArxivFeed, parse_feed, split_authors
from digest.sources.records import SourceError, VersionBump
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
