"""A reader's digest: papers their keyword lines match keep their place, the model orders
them, and recommended papers fill the remaining slots.

Order, cut to the reader's limit:
1. papers a line matched, best model score first;
2. papers no line matched whose score clears the reader's threshold ("Recommended for
   you", with why: the closest seed or upvoted paper);
3. matched papers of a strongly downvoted kind (see profiles.sinks): they sink below the
   others, and so are the first to go when the digest is full.
A reader with no lines gets only step 2: a ranked digest of what fits, never "everything".
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

MATCHED, RECOMMENDED, SUNK = "matched", "recommended", "sunk"


@dataclass(frozen=True)
class Item:
    paper: str
    reason: str  # MATCHED, RECOMMENDED or SUNK
    score: float
    why: str | None = None  # for a recommendation: the closest seed or upvoted paper


def build_digest(candidates: Sequence[str], scores: np.ndarray, *, matched: Sequence[str],
                 threshold: float, limit: int, sunk: Sequence[bool] | None = None,
                 why: Callable[[int], str | None] | None = None) -> list[Item]:
    """`candidates` are the edition's papers this reader may get (not sent before),
    `scores` the model's score of each, `matched` the candidates their lines match,
    `sunk` per candidate whether it is of a strongly downvoted kind, `why(i)` the reason
    shown for recommending candidate i (asked only for the papers that make the digest)."""
    scores = np.asarray(scores, dtype=np.float64)
    matched = set(matched)
    is_matched = np.fromiter((c in matched for c in candidates), bool, len(candidates))
    is_sunk = np.zeros(len(candidates), bool) if sunk is None else np.asarray(sunk, bool)
    by_score = np.argsort(-scores, kind="stable")
    matched_in_order, sunk_in_order = is_matched[by_score], is_sunk[by_score]
    kept = by_score[matched_in_order & ~sunk_in_order].tolist()
    recommended = by_score[~matched_in_order & (scores[by_score] >= threshold)].tolist()
    sinking = by_score[matched_in_order & sunk_in_order].tolist()
    items = [Item(candidates[i], MATCHED, float(scores[i])) for i in kept]
    items += [Item(candidates[i], RECOMMENDED, float(scores[i]), why(i) if why else None)
              for i in recommended[:max(0, limit - len(items))]]
    items += [Item(candidates[i], SUNK, float(scores[i])) for i in sinking]
    return items[:limit]
