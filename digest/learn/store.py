"""Where learning meets the database: each paper's embedding (computed once, at ingestion,
stored float16), the week's feature space, and papers' rows in it.

The space (TF-IDF reduced by LSA beside MiniLM, each centred; digest.learn.profiles) is
fitted on (a sample of) the papers of the four weeks before the current week's Monday.
Every process fits the same space from the same papers (the fit is deterministic), so a
reader's scorer, made in one worker, is valid in all of them until the next Monday; nothing
but the papers' vectors needs storing."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import numpy as np
from django.db.models import Count, Max
from threadpoolctl import threadpool_limits  # scikit-learn's dependency

from digest.learn.embedding import (
    MAX_TOKENS,
    MiniLM,
    from_float16_bytes,
    paper_text,
    to_float16_bytes,
)
from digest.learn.profiles import HYBRID, MINILM_ONLY, Matrix, Space
from digest.memo import BoundedCache
from digest.models import Paper, PaperEmbedding

MODEL = f"all-MiniLM-L6-v2@{MAX_TOKENS}"
SPACE_WEEKS = 4
# The space is fitted on at most this many of the window's papers: about a second, where
# 30,000 papers (four weeks of listings) take 20 s in each process that needs it.
SPACE_SAMPLE = 1500
MIN_PAPERS_FOR_TFIDF = 40  # fewer: the space is MiniLM alone (an LSA of a handful is noise)
EMBED_BATCH = 64


@cache
def encoder() -> MiniLM:
    """The model, loaded once per process (0.4 s, 115 MB), its files checked by sha256."""
    return MiniLM(MAX_TOKENS)


def papers_embed(*, paper_ids: Sequence[int] | None = None) -> int:
    """Embed the papers that have no vector from this model yet; returns how many."""
    papers = Paper.objects.exclude(embedding__model=MODEL)
    if paper_ids is not None:
        papers = papers.filter(pk__in=list(paper_ids))
    rows = list(papers.values_list("pk", "title", "abstract"))
    for start in range(0, len(rows), EMBED_BATCH):
        batch = rows[start:start + EMBED_BATCH]
        # One BLAS thread: a worker runs a process per core, and BLAS threads on top of them
        # oversubscribe the cores (2 processes on 2 cores: 5x the CPU time, 10x the wall).
        with threadpool_limits(1):
            vectors = encoder().encode(
                [paper_text(title, abstract) for _, title, abstract in batch])
        PaperEmbedding.objects.bulk_create(
            [PaperEmbedding(paper_id=pk, model=MODEL, vector=to_float16_bytes(vector))
             for (pk, _, _), vector in zip(batch, vectors, strict=True)],
            update_conflicts=True, unique_fields=["paper"], update_fields=["model", "vector"])
    return len(rows)


def text_embed(text: str) -> bytes:
    """A reader's own words, embedded as a paper is (float16 bytes)."""
    return to_float16_bytes(encoder().encode([text]))


@dataclass(frozen=True)
class PaperSet:
    """Papers as the model sees them: their ids and texts, and their MiniLM rows."""

    keys: list[int]
    arxiv_ids: list[str]
    texts: list[str]
    vectors: np.ndarray  # (n, 384) float32

    def __len__(self) -> int:
        return len(self.keys)


def paper_set(papers, *, sample: int | None = None) -> PaperSet:
    """The papers of a queryset that have an embedding from this model; with `sample`, at
    most that many of them, evenly spaced in id order (the same ones in every process)."""
    papers = papers.filter(embedding__model=MODEL).order_by("pk")
    if sample is not None:
        keys = list(papers.values_list("pk", flat=True))
        if len(keys) > sample:
            papers = papers.filter(pk__in=[keys[i * len(keys) // sample] for i in range(sample)])
    rows = list(papers.values_list("pk", "arxiv_id", "title", "abstract", "embedding__vector"))
    vectors = (from_float16_bytes(b"".join(bytes(row[4]) for row in rows)) if rows
               else np.zeros((0, 384), np.float32))
    return PaperSet(keys=[row[0] for row in rows], arxiv_ids=[row[1] for row in rows],
                    texts=[paper_text(row[2], row[3]) for row in rows], vectors=vectors)


def space_week(day: date) -> date:
    """The Monday of `day`'s week: the space in force on `day`."""
    return day - timedelta(days=day.weekday())


@dataclass
class WeekSpace:
    week: date
    space: Space
    window: Matrix  # the window papers' rows: what a reader's threshold is measured on


_SPACES: BoundedCache[WeekSpace] = BoundedCache(2)


def space_for(day: date) -> WeekSpace | None:
    """The feature space in force on `day`, fitted once per process and week; None while no
    paper has a vector (a new service, or a new model before its embedding tasks ran)."""
    week = space_week(day)

    def fit() -> WeekSpace:
        # Up to the Saturday before: Monday's ingest still refreshes Sunday's papers, and
        # every process must fit the same space from the same papers.
        since = week - timedelta(weeks=SPACE_WEEKS)
        window = paper_set(papers_listed(since=since, until=week - timedelta(days=2)),
                           sample=SPACE_SAMPLE)
        if len(window) < MIN_PAPERS_FOR_TFIDF:
            # A new service: every paper listed so far (never the seed papers, which have no
            # listing day: they would set the readers' thresholds).
            window = paper_set(Paper.objects.exclude(featured_on=None, announced_on=None),
                               sample=SPACE_SAMPLE)
        config = HYBRID if len(window) >= MIN_PAPERS_FOR_TFIDF else MINILM_ONLY
        if not len(window):
            window = paper_set(Paper.objects.all())
        if not len(window):
            return None  # no paper is embedded yet: nothing to learn with
        space = Space.fit(config, window.texts, window.vectors)
        return WeekSpace(week=week, space=space, window=space.rows(window.texts, window.vectors))

    space = _SPACES.get(week)
    if space is None:
        space = fit()
        if space is not None:  # else ask again next time: the embedding tasks may have run
            _SPACES.put(week, space)
    return space


def papers_listed(*, since: date, until: date):
    from digest.match.inputs import papers_between  # the edition's notion of a day's papers

    return papers_between(since=since, until=until)


@dataclass(frozen=True)
class RecentRows:
    """The last week's papers as rows of the week's space (the feedback page ranks them)."""

    keys: list[int]
    arxiv_ids: list[str]
    rows: Matrix


_RECENT: BoundedCache[RecentRows] = BoundedCache(2)
RECENT_DAYS = 7


def recent_rows(day: date) -> RecentRows:
    """The papers of the week before `day` that have vectors, as rows: read and featurised
    once per process until a paper is added (a feedback click would otherwise read and
    featurise some 6,000 papers)."""
    papers = papers_listed(since=day - timedelta(days=RECENT_DAYS), until=day).filter(
        embedding__model=MODEL)
    state = papers.aggregate(count=Count("pk"), last=Max("pk"))

    def read() -> RecentRows:
        found, space = paper_set(papers), space_for(day)
        if not len(found) or space is None:
            return RecentRows(keys=[], arxiv_ids=[], rows=np.zeros((0, 0), np.float32))
        return RecentRows(keys=found.keys, arxiv_ids=found.arxiv_ids,
                          rows=space.space.rows(found.texts, found.vectors))

    return _RECENT.remember((space_week(day), day, state["count"], state["last"]), read)
