"""What matching reads from the database: the papers of an edition's window, each topic's lines,
and every reader's lines, topics, limits and what they were sent before."""

from collections.abc import Iterable, Iterator
from datetime import date

import numpy as np
from django.db import connections
from django.db.models import Q, QuerySet

from digest.match.index import PaperDoc
from digest.match.readers import ReaderRows
from digest.match.stored import stored_lines
from digest.models import DeliveryItem, Paper
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
    return {topic.slug: topic.lines for topic in topics}


def reader_batches(subscribers: QuerySet[Subscriber], *, paper_keys: Iterable[int],
                   size: int) -> Iterator[tuple[list[str], ReaderRows]]:
    """The matcher's view of these subscribers, `size` at a time in id order, with their
    addresses: their lines, topics, limits, and which of `paper_keys` each was already sent
    (a sent paper is never sent again). A batch is three queries as plain values: the next
    readers after the last one read, then their topics and what they were sent, so memory
    stays flat however many readers there are."""
    paper_keys = list(paper_keys)
    slugs = dict(Topic.objects.values_list("pk", "slug"))
    fields = ["pk", "email", "interests", "authors", "min_upvotes", "papers_per_email"]
    after = None
    while True:
        page = subscribers if after is None else subscribers.filter(pk__gt=after)
        batch = _fetched(page.order_by("pk").values_list(*fields)[:size])
        if not batch:
            return
        keys, emails, interests, authors, min_upvotes, limits = map(list, zip(*batch, strict=True))
        topic_rows, topic_ids = _by_row(keys, Subscriber.topics.through.objects.filter(
            subscriber__gte=keys[0], subscriber__lte=keys[-1],
        ).order_by("subscriber_id").values_list("subscriber_id", "topic_id"))
        sent_rows, sent_keys = _by_row(keys, DeliveryItem.objects.filter(
            delivery__subscriber__gte=keys[0], delivery__subscriber__lte=keys[-1],
            paper_id__in=paper_keys, delivery__status__in=["sending", "sent"],
        ).order_by("delivery__subscriber_id").values_list("delivery__subscriber_id", "paper_id")
        ) if paper_keys else ([], [])  # no papers to ask about (an IN () is no SQL at all)
        line_rows, lines = stored_lines(interests, authors)
        yield emails, ReaderRows(
            keys=keys, line_rows=line_rows, lines=lines, min_upvotes=min_upvotes,
            limits=limits, topic_rows=topic_rows, topic_slugs=list(map(slugs.get, topic_ids)),
            sent_rows=sent_rows, sent_keys=sent_keys)
        after = keys[-1]


def _fetched(rows: QuerySet) -> list[tuple]:
    """A query's rows (plain columns, nothing to convert) in one fetch: Django hands rows
    over a hundred at a time, which a million readers notice."""
    sql, params = rows.query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _by_row(keys: list[int], pairs: QuerySet) -> tuple[list[int], list]:
    """(row in `keys`, value) of the (reader id, value) pairs of these readers, ordered by
    reader id (a reader in the id range but not among them, say one not due, is left
    out)."""
    found = _fetched(pairs)
    ids = np.fromiter((key for key, _ in found), dtype=np.int64, count=len(found))
    rows = np.searchsorted(keys, ids)
    ours = np.flatnonzero(np.asarray(keys, dtype=np.int64)[np.minimum(rows, len(keys) - 1)]
                          == ids)
    return rows[ours].tolist(), [found[i][1] for i in ours.tolist()]
