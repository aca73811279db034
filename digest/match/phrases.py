"""Where each word of a field stands, so a phrase (its words adjacent, in order, inside one
segment) is a few intersections of sorted position arrays instead of a search through every
paper that holds its words. Pure: no models, no settings."""

import itertools
from collections import defaultdict

import numpy as np

Tokens = list[tuple[str, str]]  # (lowercased word, stem), as subscriptions.filters.tokenize
GAP = ("", "")  # after each segment: no word is empty, so no phrase matches across it


class Positions:
    """One field of an edition's papers as one stream of token positions, paper after paper
    and segment after segment (a title, an author's name), with a gap after each segment so
    that no phrase spans two. Each stem and each word has the sorted array of its positions."""

    def __init__(self, segments: list[list[Tokens]]):
        """`segments`: per paper, in index order, its segments' tokens."""
        tokens: Tokens = []
        starts = []  # per paper, its first position
        for paper_segments in segments:
            starts.append(len(tokens))
            for segment in paper_segments:
                tokens += segment
                tokens.append(GAP)
        self.paper_starts = np.asarray(starts, dtype=np.int64)
        self.papers = len(segments)
        self._words = _positions_of([word for word, _ in tokens])
        self._stems = _positions_of([stem for _, stem in tokens])

    def phrase_bits(self, slots: list[tuple[str, str | list[str]]]) -> int:
        """The papers (a bitset by index position) where the slots match adjacent words:
        ("stem", s) a word with that stem, ("words", [w, ...]) any of those words."""
        starts = self._slot(slots[0])
        for offset, slot in enumerate(slots[1:], start=1):
            if not len(starts):
                return 0
            starts = starts[contains(self._slot(slot), starts + offset)]
        if not len(starts):
            return 0
        hit = np.zeros(self.papers, dtype=bool)
        hit[np.searchsorted(self.paper_starts, starts, side="right") - 1] = True
        return int.from_bytes(np.packbits(hit, bitorder="little").tobytes(), "little")

    def _slot(self, slot: tuple[str, str | list[str]]) -> np.ndarray:
        kind, value = slot
        if kind == "stem":
            return self._stems(value)
        return np.sort(np.concatenate([self._words(word) for word in value] or [_NONE]))


_NONE = np.empty(0, dtype=np.int64)


def _positions_of(keys: list[str]):
    """A lookup from a key to the sorted positions where it stands in `keys`."""
    ids: defaultdict[str, int] = defaultdict(itertools.count().__next__)
    per_position = np.fromiter(map(ids.__getitem__, keys), dtype=np.int64, count=len(keys))
    order = np.argsort(per_position, kind="stable")  # positions grouped by key, in order
    bounds = np.searchsorted(per_position[order], np.arange(len(ids) + 1))

    def positions(key: str) -> np.ndarray:
        found = ids.get(key)
        return _NONE if found is None else order[bounds[found]:bounds[found + 1]]

    return positions


def contains(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """Which of `needles` are in the sorted array `haystack`."""
    if not len(haystack):
        return np.zeros(len(needles), dtype=bool)
    at = np.minimum(np.searchsorted(haystack, needles), len(haystack) - 1)
    return haystack[at] == needles
