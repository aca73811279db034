"""Atom feeds as a feed reader sees them (parsed by feedparser): a reader's private feed of
their delivered digests, and the public feeds of a topic and of the archive."""

import html
import re
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import feedparser
import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from digest.models import Delivery, DeliveryItem, Paper
from digest.screens import feeds
from subscriptions import tokens
from subscriptions.models import Subscriber, Topic
from tests.delivery_fixtures import EDITION, make_reader
from tests.digest.factories import DeliveryFactory, DeliveryItemFactory, PaperFactory
from tests.subscriptions.factories import SubscriberFactory
from tests.web import tamper

pytestmark = pytest.mark.django_db

SITE = "https://paperboy.example.org"


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE


def parsed(response) -> feedparser.FeedParserDict:
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def feed_path(reader: Subscriber) -> str:
    return tokens.feed_link(subscriber=reader).removeprefix(SITE)


def delivered(reader: Subscriber, edition: date, papers: list[Paper], *, status="sent",
              matched=None) -> Delivery:
    """A digest of `papers` (best first) for `reader`, sent the morning of `edition`."""
    sent_at = datetime(edition.year, edition.month, edition.day, 8, tzinfo=UTC)
    delivery = DeliveryFactory(subscriber=reader, edition=edition, status=status,
                               sent_at=sent_at if status == "sent" else None)
    for rank, paper in enumerate(papers, start=1):
        DeliveryItemFactory(delivery=delivery, paper=paper, rank=rank,
                            matched=matched or [{"line": "sparse", "words": ["sparse"]}])
    return delivery


# A reader's private feed.

def test_the_digest_footer_links_the_feed_which_carries_the_mailed_papers(client, papers):
    ada = make_reader("ada@example.org", interests='sparse autoencoder\n"language model"')
    call_command("send_digests", "--date", EDITION.isoformat(), stdout=StringIO())
    [message] = mail.outbox
    html = message.alternatives[0][0]
    [feed_url] = re.findall(r'<a href="([^"]+)"[^>]*>Atom feed</a>', html)
    assert f"Atom feed: {feed_url}\n" in message.body
    assert feed_url == tokens.feed_link(subscriber=ada)

    feed = parsed(client.get(feed_url.removeprefix(SITE)))
    mailed = re.findall(r"^\d+\. (.+)$", message.body, flags=re.MULTILINE)
    assert [entry.title for entry in feed.entries] == mailed
    first = feed.entries[0]
    assert first.title == "Sparse Autoencoders Find Shared Features Across Language Model Scales"
    assert first.link == "https://huggingface.co/papers/2611.14021"
    # The why line the mail gave the paper, in the reader's words.
    mail_why = re.search(r"^   Why: (.+)$", message.body, flags=re.MULTILINE).group(1)
    assert mail_why == "sparse autoencoder; also matches “language model”"
    assert f"Why:</strong> {escape(mail_why)}</p>" in first.summary
    assert "arXiv:2611.14021" in first.summary
    assert "SAEs trained across model scales share most interpretable features." in first.summary
    assert "In your digest of 21 November 2026." in first.summary
    related = {link.title: link.href for link in first.links if link.rel == "related"}
    assert related == {"arXiv abstract": "https://arxiv.org/abs/2611.14021",
                       "PDF": "https://arxiv.org/pdf/2611.14021",
                       "Code": "https://github.com/example-lab/sae-atlas"}
    assert [author.name for author in first.authors][:3] == [
        "Mira Okafor", "Tomás Herrera", "Lena Vogel"]


def test_the_feed_is_valid_atom_with_stable_ids_self_link_and_dates(client):
    reader, other = SubscriberFactory(), SubscriberFactory()
    paper = PaperFactory(title='Attention <b>is</b> "all" & more', authors=["A. One", "B. Two"],
                         abstract="An abstract.", featured_on=date(2026, 11, 20))
    delivered(reader, date(2026, 11, 21), [paper])
    delivered(other, date(2026, 11, 21), [paper])

    feed = parsed(client.get(feed_path(reader)))
    assert feed.feed.title == "Your Paperboy digest"
    assert feed.feed.id.startswith("tag:paperboy.example.org,2026:readers/")
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == SITE + feed_path(reader)
    assert links["alternate"] == SITE + "/"
    assert feed.feed.author == "Paperboy"
    assert feed.feed.updated == "2026-11-21T08:00:00+00:00"
    [entry] = feed.entries
    assert entry.title == 'Attention <b>is</b> "all" & more'  # text, as typed
    assert entry.updated == "2026-11-21T08:00:00+00:00"
    assert [author.name for author in entry.authors] == ["A. One", "B. Two"]
    assert entry.id.startswith("tag:paperboy.example.org,2026:readers/")
    assert entry.id.endswith(f"/papers/{paper.arxiv_id}")
    assert reader.email not in entry.id and reader.token not in entry.id

    again = parsed(client.get(feed_path(reader)))
    theirs = parsed(client.get(feed_path(other)))
    assert again.entries[0].id == entry.id  # stable per reader and paper
    assert theirs.entries[0].id != entry.id and theirs.feed.id != feed.feed.id


def test_the_feed_holds_only_sent_digests_newest_first_each_in_its_order(client):
    reader = SubscriberFactory()
    older, newer = PaperFactory.create_batch(2), PaperFactory.create_batch(3)
    delivered(reader, date(2026, 11, 20), older)
    delivered(reader, date(2026, 11, 21), newer)
    delivered(reader, date(2026, 11, 22), [PaperFactory()], status="pending")
    delivered(reader, date(2026, 11, 19), [PaperFactory()], status="failed")
    delivered(SubscriberFactory(), date(2026, 11, 21), [PaperFactory()])

    feed = parsed(client.get(feed_path(reader)))
    assert [entry.title for entry in feed.entries] == [p.title for p in newer + older]


def test_the_feed_keeps_only_the_newest_entries(client, monkeypatch):
    monkeypatch.setattr(feeds, "MAX_ENTRIES", 3)
    reader = SubscriberFactory()
    older, newer = PaperFactory.create_batch(2), PaperFactory.create_batch(2)
    delivered(reader, date(2026, 11, 20), older)
    delivered(reader, date(2026, 11, 21), newer)
    feed = parsed(client.get(feed_path(reader)))
    assert [entry.title for entry in feed.entries] == [p.title for p in newer + older[:1]]


def test_a_recommended_paper_says_why_it_was_recommended(client):
    reader = SubscriberFactory()
    liked = {"arxiv_id": "2611.00001", "title": "A paper you liked"}
    delivered(reader, date(2026, 11, 21), [PaperFactory()],
              matched=[{"recommended": True, "because": liked}])
    [entry] = parsed(client.get(feed_path(reader))).entries
    assert "Why:</strong> Recommended for you: close to A paper you liked" in entry.summary


def test_a_reader_with_no_digest_yet_gets_an_empty_valid_feed(client):
    response = client.get(feed_path(SubscriberFactory()))
    assert response.status_code == 200 and parsed(response).entries == []


def test_the_feed_answers_conditional_gets_with_304_until_a_new_digest_is_sent(client):
    reader = SubscriberFactory()
    delivered(reader, date(2026, 11, 20), [PaperFactory()])
    first = client.get(feed_path(reader))
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and modified == "Fri, 20 Nov 2026 08:00:00 GMT"
    assert "private" in first["Cache-Control"] and "no-cache" in first["Cache-Control"]

    by_etag = client.get(feed_path(reader), headers={"If-None-Match": etag})
    by_date = client.get(feed_path(reader), headers={"If-Modified-Since": modified})
    assert by_etag.status_code == by_date.status_code == 304
    assert by_etag.content == b"" and by_etag["ETag"] == etag

    delivered(reader, date(2026, 11, 21), [PaperFactory()])
    changed = client.get(feed_path(reader), headers={"If-None-Match": etag,
                                                    "If-Modified-Since": modified})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed["Last-Modified"] == "Sat, 21 Nov 2026 08:00:00 GMT"
    assert len(parsed(changed).entries) == 2


def test_a_feed_request_costs_one_query_for_its_entries(client, django_assert_num_queries):
    reader = SubscriberFactory()
    for day in range(1, 11):
        delivered(reader, date(2026, 11, day), PaperFactory.create_batch(5))
    # The reader by token, the version of their digests, every entry in one query, and the
    # reader's topics (their names say why a paper came).
    with CaptureQueriesContext(connection) as queries:
        response = client.get(feed_path(reader))
    assert len(parsed(response).entries) == 50
    assert len(queries) == 4
    items_table = DeliveryItem._meta.db_table
    assert sum(items_table in query["sql"] for query in queries) == 1
    with django_assert_num_queries(2):  # a 304 reads no entry
        client.get(feed_path(reader), headers={"If-None-Match": response["ETag"]})


def test_the_entries_query_is_read_through_an_index():
    """No table is read whole to find a reader's entries (PostgreSQL is told to avoid
    sequential scans where an index allows, since a test's tables are small enough for one)."""
    reader = SubscriberFactory()
    delivered(reader, date(2026, 11, 20), [PaperFactory()])
    sql, params = feeds.reader_feed_items(subscriber=reader).query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    # Each table is searched by an index (the reader's deliveries by the one on (subscriber,
    # edition), their items by delivery, papers by key): none is read whole.
    assert "Seq Scan" not in plan and not re.search(r"'SCAN ", plan), plan
    assert re.search(r"Index|USING (INTEGER PRIMARY KEY|INDEX)", plan), plan


def test_a_tampered_or_foreign_token_gets_a_clear_404_page(client):
    reader = SubscriberFactory()
    path = feed_path(reader)
    token = path.removeprefix("/feeds/").removesuffix(".atom")
    manage_token = tokens.token_make(subscriber=reader, purpose=tokens.MANAGE)
    for wrong in (tamper(token), manage_token, "nothing", "a" * 5000, "%00", "x:y"):
        response = client.get(f"/feeds/{wrong}.atom")
        assert response.status_code == 404
        assert "This feed&#x27;s address is not valid" in response.content.decode()


def test_the_feed_stops_when_its_reader_unsubscribes(client):
    reader = SubscriberFactory()
    delivered(reader, date(2026, 11, 20), [PaperFactory()])
    assert client.get(feed_path(reader)).status_code == 200
    unsubscribe = tokens.link(subscriber=reader, purpose=tokens.UNSUBSCRIBE)
    client.post(unsubscribe.removeprefix(SITE))
    response = client.get(feed_path(reader))
    assert response.status_code == 410
    assert "This feed stopped when its reader unsubscribed." in response.content.decode()


def test_the_manage_page_links_the_feed(client):
    reader = SubscriberFactory()
    delivered(reader, date(2026, 11, 20), [PaperFactory(title="On feeds")])
    manage = tokens.link(subscriber=reader, purpose=tokens.MANAGE).removeprefix(SITE)
    page = client.get(manage).content.decode()
    [href] = re.findall(r'<a href="([^"]+)">Atom feed</a>', page)
    assert [entry.title for entry in parsed(client.get(href.removeprefix(SITE))).entries] == [
        "On feeds"]


# The public feeds.

def test_the_topic_feed_carries_the_topics_matches_of_recent_days(client, papers):
    response = client.get("/feeds/topics/interpretability.atom")
    feed = parsed(response)
    assert feed.feed.title == "Paperboy: Interpretability"
    titles = [entry.title for entry in feed.entries]
    assert "Sparse Autoencoders Find Shared Features Across Language Model Scales" in titles
    assert "Speech Language Models That Listen While They Talk" not in titles
    for entry in feed.entries:
        why = re.search(r"Why:</strong> ([^<]+)</p>", entry.summary).group(1)
        assert why.startswith("Interpretability ("), why  # the topic's name, then its words
        assert entry.id.startswith("tag:paperboy.example.org,2026:topics/interpretability/")
    assert "public" in response["Cache-Control"]
    again = client.get("/feeds/topics/interpretability.atom",
                       headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304


def test_an_unknown_or_withdrawn_topic_has_no_feed(client):
    Topic.objects.filter(slug="robotics").update(is_active=False)
    for slug in ("robotics", "no-such-topic"):
        response = client.get(f"/feeds/topics/{slug}.atom")
        assert response.status_code == 404
        assert "There is no topic of that name" in response.content.decode()


def test_the_archive_feed_lists_the_latest_days_as_the_archive_does(client, papers):
    latest = date(2026, 11, 20)
    earlier = PaperFactory(title="Three days before", featured_on=latest - timedelta(days=3))
    PaperFactory(title="Too old", featured_on=latest - timedelta(days=7))
    PaperFactory(title="Announced only", announced_on=latest)

    response = client.get("/feeds/papers.atom")
    feed = parsed(response)
    page = client.get("/papers/").content.decode()
    trending = page.split('id="featured-heading"')[1].split("</section>")[0]
    listed = [html.unescape(title) for title in re.findall(
        r'<h3 class="paper-title"><a href="[^"]+">([^<]+)</a></h3>', trending)]
    assert len(listed) == 11
    assert "Announced only" in page  # the archive lists it; the feed carries what trended
    assert [entry.title for entry in feed.entries] == listed + [earlier.title]
    assert feed.entries[0].updated == "2026-11-20T00:00:00+00:00"
    assert feed.entries[0].id == "tag:paperboy.example.org,2026:papers/2611.14021"

    modified = response["Last-Modified"]
    assert client.get("/feeds/papers.atom",
                      headers={"If-Modified-Since": modified}).status_code == 304
    Paper.objects.filter(pk=earlier.pk).update(upvotes=5, updated_at=timezone.now())
    assert client.get("/feeds/papers.atom",
                      headers={"If-None-Match": response["ETag"]}).status_code == 200


def test_feeds_with_nothing_to_carry_are_valid_and_empty(client):
    for path in ("/feeds/papers.atom", "/feeds/topics/robotics.atom"):
        assert parsed(client.get(path)).entries == []
