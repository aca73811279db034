"""An edition's digests with the learned ranking mixed in, beside the filter matcher: for a
reader with learning on, the papers their lines matched keep their place and the model orders
them; papers no line matched fill the remaining slots when they clear the reader's threshold
("Recommended for you", with why: the closest seed or upvoted paper); papers of a downvoted
kind sink. Scoring a batch of readers is one matrix product against the edition's papers."""

import json
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
from scipy import sparse

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
from digest.learn.scoring import top_k
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
    inputs = readers_inputs(learning_readers(Subscriber.objects.filter(pk__in=keys)))
    scorers = readers_scorers(inputs, day=edition)
    space = space_for(edition) if scorers else None
    paper_keys, arxiv_of, rows = _candidates(matches, space) if space else ([], {}, None)
    if rows is None:
        scorers = {}  # no paper has a vector: their filters' digest, as before learning
    items = {key: matches.items_json(row) for row, key in enumerate(keys) if key not in scorers}
    if not scorers:
        return items
    learners = [(row, key) for row, key in enumerate(keys) if key in scorers]
    learner_rows = [row for row, _ in learners]
    # The matcher cut each reader's matches at their limit, by its own order; the model
    # reorders them, so for learning readers it takes the matches before that cut.
    limits = matches.readers.limits
    wider = np.zeros(len(keys), bool)
    wider[learner_rows] = True
    uncut = match(replace(matches.readers, limits=np.where(
        wider, np.maximum(limits, MATCHES_CONSIDERED), limits)), matches.index)
    papers = _EditionPapers(matches, paper_keys, arxiv_of, rows)
    # What their lines matched, best first (why each matched is asked for the chosen only).
    matched = [uncut.paper_keys(row) if uncut.readers.queries(row) else []
               for row in learner_rows]
    weights = np.stack([scorers[key].weights for _, key in learners])
    # Recommendations: every learning reader of the batch against every paper, each
    # reader's best few kept (scoring.top_k) among what they may be recommended.
    thresholds = np.array([scorers[key].threshold if scorers[key].recommendations
                           else np.inf for _, key in learners], np.float32)
    best, best_scores = top_k(weights, papers.rows, int(limits[learner_rows].max()), thresholds,
                              allowed=_recommendable(uncut, learners, scorers, papers, matched))
    voted = _VotedRows(space, {a for s in scorers.values() for a in (*s.liked, *s.disliked)})
    for i, (row, key) in enumerate(learners):
        found = best[i] >= 0
        items[key] = _mixed(
            uncut, row, scorers[key], weights[i], papers, voted, matched[i],
            recommended=(best[i][found], best_scores[i][found]), limit=int(limits[row]))
    return items


@dataclass
class _EditionPapers:
    matches: Matches
    keys: list[int]
    arxiv_of: dict[int, str]
    rows: np.ndarray  # (papers, dimensions) float32
    position: dict[int, int] = field(init=False)
    position_of_arxiv: dict[str, int] = field(init=False)
    upvotes: np.ndarray = field(init=False)

    def __post_init__(self):
        self.rows = np.asarray(self.rows.todense() if sparse.issparse(self.rows) else self.rows,
                               np.float32)
        self.position = {key: i for i, key in enumerate(self.keys)}
        self.position_of_arxiv = {self.arxiv_of[key]: i for i, key in enumerate(self.keys)}
        upvotes = {paper.key: paper.upvotes for paper in self.matches.index.papers}
        self.upvotes = np.array([upvotes.get(key, 0) for key in self.keys])

    def allowed(self, key: int, *, sent: frozenset[int], seen: set[str], floor: int) -> bool:
        """Whether paper `key` may go to a reader: not sent before, not one they named or
        voted on (they know it), and at their upvote floor."""
        return (key in self.position and key not in sent and self.arxiv_of[key] not in seen
                and self.upvotes[self.position[key]] >= floor)


def _recommendable(matches: Matches, learners: list[tuple[int, int]],
                   scorers: dict[int, ReaderScorer], papers: _EditionPapers,
                   matched: list[list[int]]) -> np.ndarray:
    """(learners, papers) mask of what each may be recommended: at their upvote floor,
    not sent before, not named or voted on, and not already matched by their lines."""
    floors = np.asarray(matches.readers.min_upvotes)[[row for row, _ in learners]]
    allowed = papers.upvotes[None, :] >= floors[:, None]
    sent = matches.readers.sent
    for i, (row, key) in enumerate(learners):
        scorer = scorers[key]
        taken = [papers.position[k] for k in (*sent.get(row, ()), *matched[i])
                 if k in papers.position]
        taken += [papers.position_of_arxiv[a] for a in (*scorer.liked, *scorer.disliked)
                  if a in papers.position_of_arxiv]
        allowed[i, taken] = False
    return allowed


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


def _mixed(matches: Matches, row: int, scorer: ReaderScorer, weights: np.ndarray,
           papers: _EditionPapers, voted: "_VotedRows", matched: list[int], *,
           recommended: tuple[np.ndarray, np.ndarray], limit: int) -> list[tuple[int, str]]:
    """One learning reader's digest from what their lines matched and their best
    recommendations (positions among the edition's papers, and scores)."""
    readers = matches.readers
    sent = readers.sent.get(row, frozenset())
    floor = int(readers.min_upvotes[row])
    seen = set(scorer.liked) | set(scorer.disliked)  # named or voted: the reader knows them
    kept = [key for key in matched if papers.allowed(key, sent=sent, seen=seen, floor=floor)]
    at = [papers.position[key] for key in kept] + recommended[0].tolist()
    if not at:
        return []
    cand = papers.rows[at]
    scores = np.concatenate([cand[:len(kept)] @ weights, recommended[1]])
    liked_ids, liked = voted.of(scorer.liked)
    _, disliked = voted.of(scorer.disliked)
    sunk = np.zeros(len(at), bool)
    if kept:
        sunk[:len(kept)] = sinks(cand[:len(kept)], liked, disliked)

    def why(i: int) -> str | None:
        if liked is None:
            return None
        return liked_ids[int(np.argmax(np.asarray(liked @ cand[i]).ravel()))]

    threshold = scorer.threshold if scorer.recommendations else np.inf
    digest = build_digest([papers.keys[i] for i in at], scores, matched=kept,
                          threshold=threshold, limit=limit, sunk=sunk, why=why)
    lines_why = dict(matches.items_json(row, only={item.paper for item in digest
                                                   if item.reason != RECOMMENDED}))
    result = []
    for item in digest:
        if item.reason == RECOMMENDED:
            reason = {"recommended": True}
            if item.why:
                reason["because"] = {"arxiv_id": item.why,
                                     "title": voted.titles.get(item.why, "")}
            result.append((item.paper, json.dumps([reason])))
        else:
            result.append((item.paper, lines_why[item.paper]))
    return result


def learning_caches_clear() -> None:
    """Forget every process-wide learning cache: the week's spaces, the recent papers' rows,
    the editions' candidates (tests, which build a new world in the same week, call it)."""
    for cache in (store._SPACES, store._RECENT, _CANDIDATES, PAPER_ROWS):
        cache.clear()
