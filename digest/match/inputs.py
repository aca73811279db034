"""What matching reads from the database: the papers of an edition's window, each topic's lines,
and every reader's lines, topics, limits and what they were sent before."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db.models import Q, QuerySet

from digest.match.index import PaperDoc
from digest.match.readers import Reader
from digest.models import DeliveryItem, Paper
from subscriptions.filters import reader_lines
from subscriptions.models import Subscriber, Topic


def papers_between(*, since: date | None = None, until: date | None = None) -> QuerySet[Paper]:
    """Papers featured (HF) or announced (arXiv) within the days given, both ends included."""
    papers = Paper.objects.all()
    if since:
        papers = papers.filter(Q(featured_on__gte=since) | Q(announced_on__gte=since))
    if until:
        papers = papers.filter(Q(featured_on__lte=until) | Q(announced_on__lte=until))
    return papers


def paper_docs(papers: QuerySet[Paper]) -> list[PaperDoc]:
    fields = ["pk", "title", "abstract", "authors", "categories", "ai_keywords", "upvotes",
              "featured_on", "announced_on"]
    return [
        PaperDoc(key=pk, title=title, abstract=abstract, authors=tuple(authors),
                 categories=tuple(categories), keywords=tuple(keywords), upvotes=upvotes,
                 day=featured_on or announced_on)
        for pk, title, abstract, authors, categories, keywords, upvotes, featured_on, announced_on
        in papers.values_list(*fields).iterator(chunk_size=2000)
    ]


def topic_lines(topics: QuerySet[Topic] | None = None) -> dict[str, list[str]]:
    """Each topic's lines (all topics by default): its interest lines and a cat: line per
    category."""
    topics = Topic.objects.all() if topics is None else topics
    return {topic.slug: topic.interest_lines + [f"cat:{c}" for c in topic.category_list]
            for topic in topics}


def readers_for(subscribers: QuerySet[Subscriber], *, paper_keys: Iterable[int]) -> list[Reader]:
    """The matcher's view of these subscribers: lines, topics, limits, and which of
    `paper_keys` each was already sent (a sent paper is never sent again)."""
    candidate_keys = list(paper_keys)
    sent = defaultdict(set)
    items = DeliveryItem.objects.filter(
        paper_id__in=candidate_keys, delivery__subscriber__in=subscribers,
        delivery__status__in=["sending", "sent"],
    ).values_list("delivery__subscriber_id", "paper_id")
    for subscriber_id, paper_id in items.iterator(chunk_size=10_000):
        sent[subscriber_id].add(paper_id)
    topics_of = defaultdict(list)
    through = Subscriber.topics.through.objects.filter(subscriber__in=subscribers)
    for subscriber_id, slug in through.values_list("subscriber_id", "topic__slug").iterator(
            chunk_size=10_000):
        topics_of[subscriber_id].append(slug)
    fields = ["pk", "interests", "authors", "min_upvotes", "papers_per_email"]
    return [
        Reader(
            key=pk,
            lines=reader_lines(interests=interests, authors=authors),
            topics=tuple(topics_of.get(pk, ())),
            min_upvotes=min_upvotes,
            limit=limit,
            sent=frozenset(sent.get(pk, ())),
        )
        for pk, interests, authors, min_upvotes, limit
        in subscribers.values_list(*fields).iterator(chunk_size=10_000)
    ]
