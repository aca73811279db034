"""What matching reads from the database: the papers of an edition's window, each topic's lines,
and every reader's lines, topics, limits and what they were sent before."""

import itertools
from collections.abc import Iterable, Iterator
from datetime import date

import numpy as np
from django.db.models import Q, QuerySet

from digest.match.index import PaperDoc
from digest.match.readers import ReaderRows
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


def reader_batches(subscribers: QuerySet[Subscriber], *, paper_keys: Iterable[int],
                   size: int) -> Iterator[tuple[list[str], ReaderRows]]:
    """The matcher's view of these subscribers, `size` at a time in id order, with their
    addresses: their lines, topics, limits, and which of `paper_keys` each was already sent
    (a sent paper is never sent again). Three queries read side by side in one pass, as
    plain values, so memory stays flat however many readers there are."""
    in_set = subscribers.order_by().values("pk")
    topics = _ByReader(Subscriber.topics.through.objects.filter(subscriber__in=in_set)
                       .order_by("subscriber_id").values_list("subscriber_id", "topic__slug"))
    sent = _ByReader(DeliveryItem.objects.filter(
        paper_id__in=list(paper_keys), delivery__subscriber__in=in_set,
        delivery__status__in=["sending", "sent"],
    ).order_by("delivery__subscriber_id").values_list("delivery__subscriber_id", "paper_id"))
    fields = ["pk", "email", "interests", "authors", "min_upvotes", "papers_per_email"]
    found = subscribers.order_by("pk").values_list(*fields).iterator(chunk_size=FETCHED)
    while batch := list(itertools.islice(found, size)):
        keys = [row[0] for row in batch]
        lines = [reader_lines(interests=row[2], authors=row[3]) for row in batch]
        topic_rows, topic_slugs = topics.rows_upto(keys)
        sent_rows, sent_keys = sent.rows_upto(keys)
        yield [row[1] for row in batch], ReaderRows(
            keys=keys, line_counts=list(map(len, lines)),
            lines=list(itertools.chain.from_iterable(lines)),
            min_upvotes=[row[4] for row in batch], limits=[row[5] for row in batch],
            topic_rows=topic_rows, topic_slugs=topic_slugs,
            sent_rows=sent_rows, sent_keys=sent_keys)


FETCHED = 10_000  # rows fetched from the database at a time


class _ByReader:
    """(reader id, value) rows ordered by reader id, handed out a batch of readers at a time
    as the readers go by in the same order."""

    def __init__(self, rows: QuerySet):
        self._rows = rows.iterator(chunk_size=FETCHED)
        self._next = next(self._rows, None)

    def rows_upto(self, keys: list[int]) -> tuple[list[int], list]:
        """(row in `keys`, value) of the rows of these readers (ids in order)."""
        ids, values = [], []
        while self._next is not None and self._next[0] <= keys[-1]:
            ids.append(self._next[0])
            values.append(self._next[1])
            self._next = next(self._rows, None)
        rows = np.searchsorted(keys, ids).tolist()
        kept = [i for i, row in enumerate(rows) if keys[row] == ids[i]]  # none gone, as a rule
        return [rows[i] for i in kept], [values[i] for i in kept]
