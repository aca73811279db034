"""An edition's digests with the learned ranking mixed in, beside the filter matcher: for a
reader with learning on, the papers their lines matched keep their place and the model orders
them; papers no line matched fill the remaining slots when they clear the reader's threshold
("Recommended for you", with why: the closest seed or upvoted paper); papers of a downvoted
kind sink. Scoring a batch of readers is one matrix product against the edition's papers."""

import json
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from digest.learn import store
from digest.learn.profiles import sinks
from digest.learn.ranking import RECOMMENDED, build_digest
from digest.learn.reader_models import (
    PAPER_ROWS,
    ReaderScorer,
    learning_readers,
    paper_rows,
    readers_inputs,
    readers_scorers,
)
from digest.learn.store import WeekSpace, paper_set, space_for
from digest.match.matching import Matches, match
from digest.memo import BoundedCache
from digest.models import Paper
from subscriptions.models import Subscriber

MATCHES_CONSIDERED = 100  # of a learning reader's matches, the model orders the first 100

# An edition's papers as rows of the week's space, per process: a worker's build tasks share
# them (keyed by the week and the papers, which the index's identity stands for).
_CANDIDATES: BoundedCache[tuple] = BoundedCache(4)


def _candidates(matches: Matches, space: WeekSpace) -> tuple[list[int], dict[int, str], object]:
    """(paper keys, their arXiv ids, their rows) of the edition's papers that have vectors."""
    keys = [paper.key for paper in matches.index.papers]

    def make() -> tuple:
        papers = paper_set(Paper.objects.filter(pk__in=keys))
        rows = space.space.rows(papers.texts, papers.vectors) if len(papers) else None
        return papers.keys, dict(zip(papers.keys, papers.arxiv_ids, strict=True)), rows

    return _CANDIDATES.remember((space.week, id(matches.index), len(keys)), make)


def items_with_learning(matches: Matches, *, edition: date) -> dict[int, list[tuple[int, str]]]:
    """Each reader's (paper key, why as JSON) items, best first: the matcher's for readers
    without learning, the mixed digest for the others."""
    keys = [int(key) for key in matches.readers.keys]
    items = {key: matches.items_json(row) for row, key in enumerate(keys)}
    inputs = readers_inputs(learning_readers(Subscriber.objects.filter(pk__in=keys)))
    scorers = readers_scorers(inputs, day=edition)
    if not scorers:
        return items
    space = space_for(edition)
    paper_keys, arxiv_of, rows = _candidates(matches, space)
    if rows is None:
        return items
    learners = [(row, key) for row, key in enumerate(keys) if key in scorers]
    # The matcher cut each reader's matches at their limit, by its own order; the model
    # reorders them, so for learning readers it takes the matches before that cut.
    limits = matches.readers.limits
    wider = np.zeros(len(keys), bool)
    wider[[row for row, _ in learners]] = True
    uncut = match(replace(matches.readers, limits=np.where(
        wider, np.maximum(limits, MATCHES_CONSIDERED), limits)), matches.index)
    # Every learning reader against every paper: one matrix product for the batch.
    weights = np.stack([scorers[key].weights for _, key in learners])
    scores = np.asarray(rows @ weights.T)  # (papers, readers)
    voted = _VotedRows(space, {a for s in scorers.values() for a in (*s.liked, *s.disliked)})
    edition_papers = _EditionPapers(matches, paper_keys, arxiv_of, rows)
    for column, (row, key) in enumerate(learners):
        items[key] = _mixed(uncut, row, scorers[key], scores[:, column], edition_papers,
                            voted, limit=int(limits[row]))
    return items


@dataclass
class _EditionPapers:
    matches: Matches
    keys: list[int]
    arxiv_of: dict[int, str]
    rows: object
    position: dict[int, int] = field(init=False)
    upvotes: dict[int, int] = field(init=False)

    def __post_init__(self):
        self.position = {key: i for i, key in enumerate(self.keys)}
        self.upvotes = {paper.key: paper.upvotes for paper in self.matches.index.papers}


class _VotedRows:
    """The batch's seed and voted papers as rows of the space (one query), with their titles:
    what "why" compares a recommendation with, and what sinks a downvoted kind."""

    def __init__(self, space: WeekSpace, arxiv_ids: set[str]):
        ids, rows = paper_rows(space, sorted(arxiv_ids))
        self.index = {arxiv_id: i for i, arxiv_id in enumerate(ids)}
        self.rows = rows
        self.titles = dict(Paper.objects.filter(arxiv_id__in=ids).values_list("arxiv_id",
                                                                               "title"))

    def of(self, arxiv_ids: list[str]) -> tuple[list[str], object]:
        found = [a for a in arxiv_ids if a in self.index]
        if not found:
            return [], None
        return found, self.rows[[self.index[a] for a in found]]


def _mixed(matches: Matches, row: int, scorer: ReaderScorer, scores: np.ndarray,
           papers: _EditionPapers, voted: _VotedRows, *, limit: int) -> list[tuple[int, str]]:
    readers = matches.readers
    sent = readers.sent.get(row, frozenset())
    floor = int(readers.min_upvotes[row])
    seen = set(scorer.liked) | set(scorer.disliked)  # named or voted: the reader knows them
    allowed = [key for key in papers.keys if key not in sent and papers.arxiv_of[key] not in seen
               and papers.upvotes.get(key, 0) >= floor]
    if not allowed:
        return []
    at = [papers.position[key] for key in allowed]
    cand = papers.rows[at]
    filtered = dict(matches.items_json(row)) if readers.queries(row) else {}
    liked_ids, liked = voted.of(scorer.liked)
    _, disliked = voted.of(scorer.disliked)
    sunk = sinks(cand, liked, disliked) if filtered else None
    threshold = scorer.threshold if scorer.recommendations else np.inf

    def why(i: int) -> str | None:
        if liked is None:
            return None
        sims = np.asarray(liked @ np.asarray(cand[i]).ravel()).ravel()
        return liked_ids[int(np.argmax(sims))]

    digest = build_digest(allowed, scores[at], matched=[k for k in allowed if k in filtered],
                          threshold=threshold, limit=limit, sunk=sunk,
                          why=why)
    result = []
    for item in digest:
        if item.reason == RECOMMENDED:
            reason = {"recommended": True}
            if item.why:
                reason["because"] = {"arxiv_id": item.why,
                                     "title": voted.titles.get(item.why, "")}
            result.append((item.paper, json.dumps([reason])))
        else:
            result.append((item.paper, filtered[item.paper]))
    return result


def learning_caches_clear() -> None:
    """Forget every process-wide learning cache: the week's spaces, the recent papers' rows,
    the editions' candidates (tests, which build a new world in the same week, call it)."""
    for cache in (store._SPACES, store._RECENT, _CANDIDATES, PAPER_ROWS):
        cache.clear()
