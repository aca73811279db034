"""An edition's papers, indexed for the filter language: per-field inverted indexes of
words and stems, with each paper's position its rank in tie-break order (most upvotes, then
newest), and where each word stands (digest.match.phrases) so a phrase is a few array
lookups. Evaluates a term or a whole line as a bitset of papers, once per distinct line, and
says which words of a paper a line matched ("why this paper"). Pure: no models, no settings.
"""

import bisect
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np

from digest.match.phrases import Positions
from digest.memo import BoundedCache
from subscriptions.filters import ANY, Query, Term, tokenize

# Fields searched by each kind of term. Each field holds segments (the title, the abstract,
# one AI keyword, one author's name): a phrase never spans two segments.
FIELDS_OF = {ANY: ("title", "abstract", "keywords"), "title": ("title",),
             "author": ("authors",)}
# (line, paper) explanations an index keeps. A worker keeps its edition's index across build
# tasks; with readers' own lines the pairs could grow with the readers, so they are bounded
# (about 40 MB at 75,000 in the benchmark).
WHY_KEPT = 100_000
# What a step of work is worth, for callers that bound it (the live preview): a word of a
# prefix's range (an OR of a bitset) or a token scanned for an explanation is one step; a
# phrase is charged a few per paper holding all its words (what a regular expression over
# those papers cost before word positions answered phrases: a bound that errs high).
PHRASE_SEARCH_STEPS = 4


class TooMuchWork(Exception):
    """An evaluation would cost more steps than its budget has left."""


@dataclass
class Budget:
    """The work a caller allows, in steps (see PHRASE_SEARCH_STEPS). Charged before the work
    it pays for, so a refused evaluation costs next to nothing."""

    steps: int

    def spend(self, steps: int) -> None:
        self.steps -= steps
        if self.steps < 0:
            raise TooMuchWork


def spend(budget: Budget | None, steps: int) -> None:
    if budget is not None:
        budget.spend(steps)


@dataclass(frozen=True)
class PaperDoc:
    """What matching needs of a paper."""

    key: int
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    upvotes: int = 0
    day: date | None = None


class PaperIndex:
    def __init__(self, papers: Iterable[PaperDoc], *, kept: int | None = None):
        """`kept` bounds the line and term results kept (None: all, as a run's index does)."""
        self.papers = sorted(
            papers, key=lambda p: (-p.upvotes, -(p.day.toordinal() if p.day else 0), p.key))
        self.position = {paper.key: i for i, paper in enumerate(self.papers)}
        self.all_bits = (1 << len(self.papers)) - 1
        # field -> per paper, its segments as lists of (lowercased word, stem)
        self.segments: dict[str, list[list[list[tuple[str, str]]]]] = {
            name: [] for name in ("title", "abstract", "keywords", "authors")}
        self.stem_bits: dict[str, dict[str, int]] = {name: {} for name in self.segments}
        self.token_counts: dict[str, list[int]] = {name: [] for name in self.segments}
        self.word_bits: dict[str, dict[str, int]] = {name: {} for name in self.segments}
        self.category_bits: dict[str, int] = {}
        for i, paper in enumerate(self.papers):
            bit = 1 << i
            texts = {"title": [paper.title], "abstract": [paper.abstract],
                     "keywords": list(paper.keywords), "authors": list(paper.authors)}
            for name, segments in texts.items():
                tokenized = [tokenize(text) for text in segments if text]
                self.segments[name].append(tokenized)
                self.token_counts[name].append(sum(map(len, tokenized)))
                stems, words = self.stem_bits[name], self.word_bits[name]
                for lowered, stemmed in {token for segment in tokenized for token in segment}:
                    stems[stemmed] = stems.get(stemmed, 0) | bit
                    words[lowered] = words.get(lowered, 0) | bit
            for category in {c.lower() for c in paper.categories}:
                self.category_bits[category] = self.category_bits.get(category, 0) | bit
        self.sorted_words = {name: sorted(words) for name, words in self.word_bits.items()}
        self._positions: dict[str, Positions] = {}  # made for a field's first phrase
        self._upvoted: dict[int, int] = {}  # minimum upvotes -> papers with as many
        self._key_positions = np.argsort([paper.key for paper in self.papers])
        self._sorted_keys = np.asarray([paper.key for paper in self.papers],
                                       dtype=np.int64)[self._key_positions]
        self._term_cache: BoundedCache[tuple[int, int]] = BoundedCache(kept)
        self._line_cache: BoundedCache[tuple[int, int]] = BoundedCache(kept)
        self._words_cache: BoundedCache[list[str]] = BoundedCache(WHY_KEPT)
        self._reason_cache: BoundedCache[str] = BoundedCache(WHY_KEPT)

    def __len__(self) -> int:
        return len(self.papers)

    def positions_of(self, keys: np.ndarray) -> np.ndarray:
        """Each paper key's position in the index, or -1 for a paper not in it."""
        if not self.papers:
            return np.full(len(keys), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._sorted_keys, keys), len(self.papers) - 1)
        return np.where(self._sorted_keys[at] == keys, self._key_positions[at], -1)

    def upvoted_bits(self, threshold: int) -> int:
        """The papers with at least `threshold` upvotes."""
        found = self._upvoted.get(threshold)
        if found is None:
            found = self._upvoted[threshold] = sum(
                1 << i for i, paper in enumerate(self.papers) if paper.upvotes >= threshold)
        return found

    # --- evaluation -------------------------------------------------------------------

    def _slot_bits(self, name: str, slot: tuple[str, str], budget: Budget | None) -> int:
        kind, value = slot
        if kind == "stem":
            return self.stem_bits[name].get(value, 0)
        bits = 0
        for word in self._prefix_words(name, value, budget):
            bits |= self.word_bits[name][word]
        return bits

    def _prefix_words(self, name: str, prefix: str, budget: Budget | None) -> list[str]:
        """The field's words that start with `prefix` (each a step of the budget)."""
        words = self.sorted_words[name]
        start = bisect.bisect_left(words, prefix)
        end = bisect.bisect_left(words, prefix + "\U0010ffff", start)
        spend(budget, end - start)
        return words[start:end]

    def _in_field(self, name: str, slots: tuple[tuple[str, str], ...],
                  budget: Budget | None) -> int:
        candidates = self.all_bits
        for slot in slots:
            candidates &= self._slot_bits(name, slot, budget)
            if not candidates:
                return 0
        if len(slots) == 1:
            return candidates
        spend(budget, candidates.bit_count() * PHRASE_SEARCH_STEPS)
        if name not in self._positions:
            self._positions[name] = Positions(self.segments[name])
        return self._positions[name].phrase_bits(
            [slot if slot[0] == "stem" else ("words", self._prefix_words(name, slot[1], None))
             for slot in slots])

    def term_bits(self, term: Term, budget: Budget | None = None) -> tuple[int, int]:
        """(papers the term matches, papers where it matches in the title)."""
        key = (term.field, term.slots, term.category)
        found = self._term_cache.get(key)
        if found is None:
            if term.field == "cat":
                result = (self.category_bits.get(term.category, 0), 0)
            else:
                matched = title = 0
                for name in FIELDS_OF[term.field]:
                    bits = self._in_field(name, term.slots, budget)
                    matched |= bits
                    if name == "title":
                        title = bits
                result = (matched, title)
            found = self._term_cache.put(key, result)
        return found

    def line_bits(self, query: Query, budget: Budget | None = None) -> tuple[int, int]:
        """(papers the line matches, those of them where a positive term is in the title).
        A group `a OR b` matches where either does, and hits the title where either does.
        With a budget, the work not cached yet is charged to it (TooMuchWork when spent)."""
        key = query.key
        found = self._line_cache.get(key)
        if found is None:
            matched, title = self.all_bits, 0
            for group in query.groups:
                group_matched, group_title = self.term_bits(group[0], budget)
                for term in group[1:]:
                    term_matched, term_title = self.term_bits(term, budget)
                    group_matched |= term_matched
                    group_title |= term_title
                matched &= group_matched
                title |= group_title
            for term in query.negatives:
                matched &= ~self.term_bits(term, budget)[0]
            found = self._line_cache.put(key, (matched, title & matched))
        return found

    def explanation_steps(self, query: Query, position: int) -> int:
        """What matched_words costs for this line and paper, unless it is cached."""
        if (query.key, position) in self._words_cache:
            return 0
        return sum(self.token_counts[name][position] for term in query.positives
                   if term.field != "cat" for name in FIELDS_OF[term.field])

    def matched_words(self, query: Query, position: int) -> list[str]:
        """The paper's words that the line's positive terms matched, in order of first use.
        Cached: thousands of readers share a line, and each digest asks for its papers."""
        key = (query.key, position)
        found = self._words_cache.get(key)
        if found is None:
            found = self._words_cache.put(key, self._matched_words(query, position))
        return found

    def reason_json(self, query: Query, position: int) -> str:
        """{"line": ..., "words": [...]}: why the paper at `position` matched the line, as
        a delivery item stores it. Cached like the words: readers share lines."""
        key = (query.text, position)
        found = self._reason_cache.get(key)
        if found is None:
            found = self._reason_cache.put(key, json.dumps(
                {"line": query.text, "words": self.matched_words(query, position)}))
        return found

    def _matched_words(self, query: Query, position: int) -> list[str]:
        words: list[str] = []
        for term in query.positives:  # an alternative the paper lacks finds no words
            if term.field == "cat":
                continue
            for name in FIELDS_OF[term.field]:
                for segment in self.segments[name][position]:
                    if len(term.slots) == 1:  # most terms: one word, no phrase to line up
                        found = [token[0] for token in segment
                                 if slot_matches(term.slots[0], token)]
                    else:
                        found = [lowered for start in phrase_starts(segment, term.slots)
                                 for lowered, _ in segment[start:start + len(term.slots)]]
                    for word in found:
                        if word not in words:
                            words.append(word)
        return words


def slot_matches(slot: tuple[str, str], token: tuple[str, str]) -> bool:
    kind, value = slot
    return token[1] == value if kind == "stem" else token[0].startswith(value)


def phrase_starts(segment: list[tuple[str, str]], slots: tuple[tuple[str, str], ...]):
    for start in range(len(segment) - len(slots) + 1):
        if all(slot_matches(slot, segment[start + k]) for k, slot in enumerate(slots)):
            yield start
