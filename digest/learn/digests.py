"""An edition's digests with the learned ranking mixed in, beside the filter matcher: for a
reader with learning on, the papers their lines matched keep their place and the model orders
them; papers no line matched fill the remaining slots when they clear the reader's threshold
("Recommended for you", with why: the closest seed or upvoted paper); papers of a downvoted
kind sink. Scoring a batch of readers is one matrix product against the edition's papers."""

import json
from datetime import date

import numpy as np

from digest.learn.profiles import sinks
from digest.learn.ranking import RECOMMENDED, build_digest
from digest.learn.reader_models import (
    ReaderScorer,
    paper_rows,
    readers_inputs,
    readers_scorers,
)
from digest.learn.store import WeekSpace, paper_set, space_for
from digest.match.matching import Matches
from digest.memo import BoundedCache
from digest.models import Paper
from subscriptions.models import Subscriber

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
    inputs = readers_inputs(Subscriber.objects.filter(pk__in=keys))
    scorers = readers_scorers(inputs, day=edition)
    if not scorers:
        return items
    space = space_for(edition)
    paper_keys, arxiv_of, rows = _candidates(matches, space)
    if rows is None:
        return items
    position = {key: i for i, key in enumerate(paper_keys)}
    titles = dict(Paper.objects.filter(arxiv_id__in={a for s in scorers.values()
                                                     for a in s.liked}).values_list(
        "arxiv_id", "title"))
    for row, key in enumerate(keys):
        scorer = scorers.get(key)
        if scorer is not None:
            items[key] = _mixed(matches, row, scorer, paper_keys, position, rows, arxiv_of,
                                titles, space)
    return items


def _mixed(matches: Matches, row: int, scorer: ReaderScorer, paper_keys: list[int],
           position: dict[int, int], rows, arxiv_of: dict[int, str], titles: dict[str, str],
           space: WeekSpace) -> list[tuple[int, str]]:
    readers = matches.readers
    sent = readers.sent.get(row, frozenset())
    floor = int(readers.min_upvotes[row])
    upvotes = {paper.key: paper.upvotes for paper in matches.index.papers}
    allowed = [key for key in paper_keys if key not in sent and upvotes.get(key, 0) >= floor]
    if not allowed:
        return []
    cand = rows[[position[key] for key in allowed]]
    scores = scorer.scores(cand)
    filtered = dict(matches.items_json(row)) if readers.queries(row) else {}
    liked_ids, liked = paper_rows(space, scorer.liked)
    _, disliked = paper_rows(space, scorer.disliked)
    sunk = sinks(cand, liked, disliked) if filtered else None
    threshold = scorer.threshold if scorer.recommendations else np.inf

    def why(i: int) -> str | None:
        if liked is None:
            return None
        sims = np.asarray(liked @ np.asarray(cand[i]).ravel()).ravel()
        return liked_ids[int(np.argmax(sims))]

    digest = build_digest(allowed, scores, matched=[k for k in allowed if k in filtered],
                          threshold=threshold, limit=int(readers.limits[row]), sunk=sunk,
                          why=why)
    result = []
    for item in digest:
        if item.reason == RECOMMENDED:
            because = item.why
            reason = {"recommended": True}
            if because:
                reason["because"] = {"arxiv_id": because, "title": titles.get(because, "")}
            result.append((item.paper, json.dumps([reason])))
        else:
            result.append((item.paper, filtered[item.paper]))
    return result


