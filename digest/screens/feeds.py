"""Atom feeds, written by Django's syndication framework: a reader's private feed of the papers
their digests carried, and the public feeds of a topic's and of the archive's latest papers.

Each view first works out its feed's version (its ETag and Last-Modified) and answers a
conditional GET with 304 before an entry is rendered. A reader's feed reads what the
deliveries hold, never matching anything: the reader (by the signed token), the version of
their sent digests, and the entries, each one indexed query."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.crypto import salted_hmac
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import condition, require_safe

from digest.deliver.render import short_authors
from digest.deliver.why import groups_of, reader_groups, why_of, why_sentence
from digest.match.inputs import topic_lines
from digest.match.matching import match_few
from digest.match.readers import Reader
from digest.models import Delivery, DeliveryItem, Paper
from digest.screens.archive import paper_latest_featured_day, papers_featured_between
from digest.screens.live_preview import recent_index
from subscriptions import tokens
from subscriptions.models import Subscriber, Topic

MAX_ENTRIES = 200  # a feed's newest entries; feed readers keep the older ones they have seen
PUBLIC_DAYS = 7  # the public feeds carry the latest 7 days of listings
PUBLIC_MAX_AGE = 15 * 60  # seconds a public feed may be cached: the beat's tick
# Part of every ETag: change it when what an entry shows changes, so readers fetch again.
ENTRY_FORMAT = 1
# Tag URIs (RFC 4151) name the site's host and a date it was ours: ids stay the same forever.
TAG_DATE = "2026"
GONE = {Subscriber.Status.UNSUBSCRIBED: "This feed stopped when its reader unsubscribed."}
STOPPED = "This feed stopped: its reader no longer gets Paperboy digests."


@dataclass(frozen=True)
class Entry:
    paper: Paper
    updated: datetime
    guid: str
    why: str = ""
    digest_of: date | None = None  # the edition of the reader's digest that carried it


@dataclass(frozen=True)
class FeedPage:
    title: str
    subtitle: str
    link: str  # the page a person would read it on
    guid: str
    entries: list[Entry]


def tag(specific: str) -> str:
    return f"tag:{urlsplit(settings.SITE_URL).hostname},{TAG_DATE}:{specific}"


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class PaperAtom(Atom1Feed):
    """Atom 1.0 with what a paper's entry needs beyond Django's: every author, and the
    paper's other pages (PDF, Hugging Face, code, project) as related links."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name in item["authors"]:
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            handler.endElement("author")
        for title, href, kind in item["related"]:
            attributes = {"rel": "related", "href": href, "title": title}
            if kind:
                attributes["type"] = kind
            handler.addQuickElement("link", "", attributes)


def paper_links(paper: Paper) -> list[tuple[str, str, str]]:
    """The card's links: (title, URL, media type)."""
    links = [("arXiv abstract", paper.arxiv_url, "text/html"),
             ("PDF", f"https://arxiv.org/pdf/{paper.arxiv_id}", "application/pdf")]
    if paper.featured_on:
        links.append(("Hugging Face", paper.hf_url, "text/html"))
    if paper.github_repo:
        links.append(("Code", paper.github_repo, ""))
    if paper.project_page:
        links.append(("Project page", paper.project_page, ""))
    return links


class PaperFeed(Feed):
    """One FeedPage as Atom: the syndication framework's view, made per request."""

    feed_type = PaperAtom
    author_name = "Paperboy"
    item_guid_is_permalink = False

    def __init__(self, page: FeedPage, self_url: str):
        # The framework takes each of these as a value or as a method; values, here.
        self.title, self.subtitle, self.link = page.title, page.subtitle, page.link
        self.feed_url, self.feed_guid, self.items = self_url, page.guid, page.entries
        self.author_link = settings.SITE_URL + "/"

    def item_title(self, entry):
        return entry.paper.title  # Atom's title is text: the XML writer escapes it

    def item_link(self, entry):
        return entry.paper.url

    def item_guid(self, entry):
        return entry.guid

    def item_updateddate(self, entry):
        return entry.updated

    def item_categories(self, entry):
        return entry.paper.categories

    def item_description(self, entry):
        paper = entry.paper
        return render_to_string("digest/feed_entry.html", {
            "paper": paper, "authors": short_authors(paper.authors), "why": entry.why,
            "digest_of": entry.digest_of, "links": paper_links(paper)})

    def item_extra_kwargs(self, entry):
        paper = entry.paper  # the title's link is the entry's alternate link already
        return {"authors": paper.authors,
                "related": [link for link in paper_links(paper) if link[1] != paper.url]}


def atom_response(request: HttpRequest, *, version: tuple, last_modified: datetime | None,
                  page: Callable[[], FeedPage], public: bool) -> HttpResponse:
    """The feed, or 304 when the client's copy (If-None-Match, If-Modified-Since) is this
    version: `page` is only built for a 200."""
    etag = hashlib.sha256(repr((ENTRY_FORMAT, *version)).encode()).hexdigest()[:32]

    def feed(request):
        response = PaperFeed(page(), settings.SITE_URL + request.path)(request)
        # The syndication framework dates the response by its newest entry, or now when it
        # has none; the version's date is the one conditional GETs compare.
        del response.headers["Last-Modified"]
        return response

    response = condition(etag_func=lambda request: etag,
                         last_modified_func=lambda request: last_modified)(feed)(request)
    if public:
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    else:  # any cache must ask again (a 304 costs two queries), and only the reader's keeps it
        patch_cache_control(response, private=True, no_cache=True)
        response["X-Robots-Tag"] = "noindex"
    return response


def unavailable(request: HttpRequest, explanation: str, *, status: int) -> HttpResponse:
    response = render(request, "digest/feed_unavailable.html", {"explanation": explanation},
                      status=status)
    patch_cache_control(response, no_cache=True)
    return response


# A reader's private feed.

def reader_feed_version(*, subscriber: Subscriber) -> tuple[int, datetime | None]:
    """How many digests the reader was sent, and when the last went: a digest sent is the
    only thing that changes their feed. One query on the (reader, edition) index."""
    sent = Delivery.objects.filter(subscriber=subscriber, status=Delivery.Status.SENT)
    stats = sent.aggregate(count=Count("pk"), last=Max("sent_at"))
    return stats["count"], stats["last"]


def reader_feed_items(*, subscriber: Subscriber) -> QuerySet[DeliveryItem]:
    """The papers of the reader's sent digests, newest digest first and in its order, with
    their delivery and paper: one query, by the (reader, edition) index."""
    return (DeliveryItem.objects
            .filter(delivery__subscriber=subscriber, delivery__status=Delivery.Status.SENT)
            .select_related("delivery", "paper")
            .order_by("-delivery__edition", "rank")[:MAX_ENTRIES])


def reader_feed_page(*, subscriber: Subscriber) -> FeedPage:
    # Stable per reader and paper, without the reader's address or a database id.
    reader = salted_hmac("paperboy.feeds.reader", subscriber.token).hexdigest()[:24]
    groups = groups_of(subscriber)
    entries = [Entry(paper=item.paper,
                     why=why_sentence(why_of(item.matched, groups, title=item.paper.title)),
                     updated=item.delivery.sent_at or day_start(item.delivery.edition),
                     guid=tag(f"readers/{reader}/papers/{item.paper.arxiv_id}"),
                     digest_of=item.delivery.edition)
               for item in reader_feed_items(subscriber=subscriber)]
    return FeedPage(title="Your Paperboy digest",
                    subtitle=f"The papers of your digests, newest first (the last "
                             f"{MAX_ENTRIES}), each with why it was picked for you.",
                    link=settings.SITE_URL + "/", guid=tag(f"readers/{reader}"),
                    entries=entries)


@require_safe
def reader_feed(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = tokens.token_read(token=token, purpose=tokens.FEED)
    except tokens.BadToken:
        return unavailable(request, "This feed's address is not valid: it may have been cut "
                                    "or changed. Copy it again from your preferences page.",
                           status=404)
    if subscriber.status != Subscriber.Status.ACTIVE:
        return unavailable(request, GONE.get(subscriber.status, STOPPED), status=410)
    count, last_sent = reader_feed_version(subscriber=subscriber)
    return atom_response(request, version=("reader", subscriber.token, count, last_sent),
                         last_modified=last_sent, public=False,
                         page=lambda: reader_feed_page(subscriber=subscriber))


# The public feeds: a topic's papers, and the archive's.

def public_version(name: str, entries: list[Entry]) -> tuple[tuple, datetime | None]:
    """A public feed's version: its entries and when each paper last changed."""
    version = (name, *((entry.guid, entry.paper.updated_at, entry.why) for entry in entries))
    return version, max((entry.paper.updated_at for entry in entries), default=None)


def listed_on(paper: Paper) -> date:
    return max(day for day in (paper.featured_on, paper.announced_on) if day)


def topic_feed_entries(*, topic: Topic, lines: dict[str, list[str]]) -> list[Entry]:
    """The topic's best matches (as a reader following only it would get them) among the
    last 7 days of listings, newest day first."""
    index, _ = recent_index()
    if not len(index):
        return []
    matches = match_few([Reader(key=0, topics=(topic.slug,), limit=MAX_ENTRIES)], index,
                        topics=lines)
    ranked = matches.ranked(0)
    papers = Paper.objects.in_bulk([match.key for match in ranked])
    groups = reader_groups(topics=((topic.name, tuple(topic.lines)),), lines=())
    entries = [Entry(paper=papers[match.key], updated=day_start(listed_on(papers[match.key])),
                     guid=tag(f"topics/{topic.slug}/papers/{papers[match.key].arxiv_id}"),
                     why=why_sentence(why_of(
                         [{"line": why.line, "words": why.words} for why in match.why], groups,
                         title=papers[match.key].title)))
               for match in ranked if match.key in papers]
    return sorted(entries, key=lambda entry: entry.updated, reverse=True)  # stable: rank kept


@require_safe
def topic_feed(request: HttpRequest, slug: str) -> HttpResponse:
    topics = Topic.objects.filter(slug=slug, is_active=True)
    lines = topic_lines(topics)  # evaluates `topics` once: topics[0] below reads no more
    if slug not in lines:
        return unavailable(request, "There is no topic of that name: see the topics on the "
                                    "signup page.", status=404)
    topic = topics[0]
    entries = topic_feed_entries(topic=topic, lines=lines)
    # The topic's lines are part of the version: editing them changes which papers match.
    version, last_modified = public_version(f"topic {lines[slug]}", entries)
    return atom_response(request, version=version, last_modified=last_modified, public=True,
                         page=lambda: FeedPage(
                             title=f"Paperboy: {topic.name}",
                             subtitle=f"Papers of the last {PUBLIC_DAYS} days of listings "
                                      f"matching the topic {topic.name}, newest first.",
                             link=settings.SITE_URL + reverse("latest-papers"),
                             guid=tag(f"topics/{topic.slug}"), entries=entries))


def archive_feed_entries() -> list[Entry]:
    """The papers of the latest 7 featured days, as the archive lists them, newest day first."""
    latest = paper_latest_featured_day()
    if latest is None:
        return []
    papers = papers_featured_between(since=latest - timedelta(days=PUBLIC_DAYS - 1),
                                     until=latest)[:MAX_ENTRIES]
    return [Entry(paper=paper, updated=day_start(paper.featured_on),
                  guid=tag(f"papers/{paper.arxiv_id}")) for paper in papers]


@require_safe
def archive_feed(request: HttpRequest) -> HttpResponse:
    entries = archive_feed_entries()
    version, last_modified = public_version("archive", entries)
    return atom_response(request, version=version, last_modified=last_modified, public=True,
                         page=lambda: FeedPage(
                             title="Paperboy: trending papers",
                             subtitle=f"The papers Hugging Face featured in the last "
                                      f"{PUBLIC_DAYS} days, newest day first.",
                             link=settings.SITE_URL + reverse("latest-papers"),
                             guid=tag("papers"), entries=entries))
