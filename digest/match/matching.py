"""Matching an edition's papers against every reader's filters at once.

Pure: no models, no settings. Three steps, each done once per run however many readers:

1. `PaperIndex` tokenizes the edition's papers into per-field inverted indexes, with the
   papers in tie-break order (most upvotes, then newest), so a paper's position is its rank.
2. `compile_readers` turns every reader's lines (their own and their topics') into a sparse
   reader x column matrix, where a column is a distinct line or "everything". Identical
   lines shared by many readers are one column, so each is evaluated once.
3. `match` evaluates each distinct line against the index (a bitset of papers per line) and
   ranks every reader's papers over those bitsets (`digest.match.topk`). Explanations ("why this
   paper") are computed only for the papers a caller asks about.

Ranking (docs/filters.md): title hits first, then more matched lines, then upvotes, then newest.
"""

import bisect
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from scipy import sparse

from digest.match.topk import TITLE_LEVEL, Ranked, rank_group, words_of
from subscriptions.filters import ANY, FilterError, Query, Term, parse_line, tokenize

log = logging.getLogger(__name__)

# Fields searched by each kind of term. Each field holds segments (the title, the abstract,
# one AI keyword, one author's name): a phrase never spans two segments.
FIELDS_OF = {ANY: ("title", "abstract", "keywords"), "title": ("title",),
             "author": ("authors",)}
CHUNK = 50_000  # readers ranked at once; bounds peak memory
# (line, paper) explanations an index keeps. A worker keeps its edition's index across build
# tasks; with readers' own lines the pairs could grow with the readers, so they are bounded
# (about 40 MB at 75,000 in the benchmark).
WHY_KEPT = 100_000
# What a step of work is worth, for callers that bound it (the live preview): a word of a
# prefix's range (an OR of a bitset) or a token scanned for an explanation is one step; a
# paper's field searched for a phrase (a regular expression, in C) is a few.
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


def _spend(budget: Budget | None, steps: int) -> None:
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


@dataclass(frozen=True)
class Reader:
    """What matching needs of a subscriber: their own lines (interests and `author:` lines),
    the slugs of their topics, and their limits."""

    key: int
    lines: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    min_upvotes: int = 0
    limit: int = 10
    sent: frozenset[int] = frozenset()  # keys of papers already sent to this reader


def iter_bits(bits: int):
    while bits:
        low = bits & -bits
        yield low.bit_length() - 1
        bits ^= low


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
        # field -> per paper, its segments' words as one string, " a b | c d ": a phrase is
        # a regular expression searched in C, and "|" keeps it from spanning two segments.
        self.word_texts: dict[str, list[str]] = {name: [] for name in self.segments}
        self.words_of_stem: dict[str, dict[str, set[str]]] = {name: {} for name in self.segments}
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
                self.word_texts[name].append(
                    " " + " | ".join(" ".join(w for w, _ in segment) for segment in tokenized)
                    + " ")
                self.token_counts[name].append(sum(map(len, tokenized)))
                stems, words = self.stem_bits[name], self.word_bits[name]
                for lowered, stemmed in {token for segment in tokenized for token in segment}:
                    stems[stemmed] = stems.get(stemmed, 0) | bit
                    words[lowered] = words.get(lowered, 0) | bit
                    self.words_of_stem[name].setdefault(stemmed, set()).add(lowered)
            for category in {c.lower() for c in paper.categories}:
                self.category_bits[category] = self.category_bits.get(category, 0) | bit
        self.sorted_words = {name: sorted(words) for name, words in self.word_bits.items()}
        self.kept = kept
        self._term_cache: dict[tuple, tuple[int, int]] = {}
        self._line_cache: dict[tuple, tuple[int, int]] = {}
        self._words_cache: dict[tuple, list[str]] = {}
        self._reason_cache: dict[tuple, str] = {}

    def __len__(self) -> int:
        return len(self.papers)

    # --- evaluation -------------------------------------------------------------------

    def _slot_bits(self, name: str, slot: tuple[str, str], budget: Budget | None) -> int:
        kind, value = slot
        if kind == "stem":
            return self.stem_bits[name].get(value, 0)
        words = self.sorted_words[name]
        start = bisect.bisect_left(words, value)
        if budget is not None:  # the words the prefix covers, each an OR of a bitset
            budget.spend(bisect.bisect_left(words, value + "\U0010ffff", start) - start)
        bits = 0
        for k in range(start, len(words)):
            if not words[k].startswith(value):
                break
            bits |= self.word_bits[name][words[k]]
        return bits

    def _in_field(self, name: str, slots: tuple[tuple[str, str], ...],
                  budget: Budget | None) -> int:
        candidates = self.all_bits
        for slot in slots:
            candidates &= self._slot_bits(name, slot, budget)
            if not candidates:
                return 0
        if len(slots) == 1:
            return candidates
        _spend(budget, candidates.bit_count() * PHRASE_SEARCH_STEPS)
        phrase, texts, found = self._phrase_pattern(name, slots), self.word_texts[name], 0
        for i in iter_bits(candidates):
            if phrase.search(texts[i]):
                found |= 1 << i
        return found

    def _phrase_pattern(self, name: str, slots: tuple[tuple[str, str], ...]) -> re.Pattern:
        """Adjacent words matching the slots: a stem slot is any of the field's words with
        that stem, a prefix slot any word that starts with it."""
        parts = [f"(?:{'|'.join(map(re.escape, sorted(self.words_of_stem[name][value])))})"
                 if kind == "stem" else f"{re.escape(value)}[^ ]*" for kind, value in slots]
        return re.compile(f" {' '.join(parts)} ")

    def _keep(self, cache: dict) -> None:
        if self.kept is not None and len(cache) >= self.kept:
            cache.clear()

    def term_bits(self, term: Term, budget: Budget | None = None) -> tuple[int, int]:
        """(papers the term matches, papers where it matches in the title)."""
        key = (term.field, term.slots, term.category)
        if key not in self._term_cache:
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
            self._keep(self._term_cache)
            self._term_cache[key] = result
        return self._term_cache[key]

    def line_bits(self, query: Query, budget: Budget | None = None) -> tuple[int, int]:
        """(papers the line matches, those of them where a positive term is in the title).
        A group `a OR b` matches where either does, and hits the title where either does.
        With a budget, the work not cached yet is charged to it (TooMuchWork when spent)."""
        key = query.key
        if key not in self._line_cache:
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
            self._keep(self._line_cache)
            self._line_cache[key] = (matched, title & matched)
        return self._line_cache[key]

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
        if key not in self._words_cache:
            if len(self._words_cache) >= WHY_KEPT:  # bounded: a worker's memory stays flat
                self._words_cache.clear()
            self._words_cache[key] = self._matched_words(query, position)
        return self._words_cache[key]

    def reason_json(self, query: Query, position: int) -> str:
        """{"line": ..., "words": [...]}: why the paper at `position` matched the line, as
        a delivery item stores it. Cached like the words: readers share lines."""
        key = (query.text, position)
        found = self._reason_cache.get(key)
        if found is None:
            if len(self._reason_cache) >= WHY_KEPT:
                self._reason_cache.clear()
            found = self._reason_cache[key] = json.dumps(
                {"line": query.text, "words": self.matched_words(query, position)})
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


# --- readers ------------------------------------------------------------------------------


EVERYTHING = 0  # the column of readers with no filters; line i is column i + 1


@dataclass
class CompiledReaders:
    keys: np.ndarray  # reader keys, in row order
    matrix: sparse.csr_matrix  # readers x columns, 1 where the reader has the column
    lines: list[Query]  # distinct by meaning: `LLMs` and `llm` are one line
    min_upvotes: np.ndarray
    limits: np.ndarray
    sent: dict[int, frozenset[int]]  # row -> keys of papers already sent
    rejected_lines: dict[str, str] = field(default_factory=dict)  # line -> why it was skipped

    def queries(self, row: int) -> list[Query]:
        """The distinct lines, own and from topics, behind reader `row`."""
        columns = self.matrix.indices[self.matrix.indptr[row]:self.matrix.indptr[row + 1]]
        return [self.lines[c - 1] for c in sorted(columns) if c != EVERYTHING]


def compile_readers(readers: Iterable[Reader], *,
                    topics: Mapping[str, Sequence[str]]) -> CompiledReaders:
    """Every reader's filters (own lines and their topics' lines) as one sparse matrix.
    Each distinct line is parsed once and becomes one column."""
    lines: list[Query] = []
    column_of_text: dict[str, int | None] = {}
    column_of_key: dict[tuple, int] = {}
    rejected: dict[str, str] = {}

    def column(text: str) -> int | None:
        if text not in column_of_text:
            try:
                query = parse_line(text)
            except FilterError as error:  # stored lines were validated; skip, never crash
                rejected[text] = str(error)
                column_of_text[text] = None
            else:
                if query.key not in column_of_key:
                    lines.append(query)
                    column_of_key[query.key] = len(lines)
                column_of_text[text] = column_of_key[query.key]
        return column_of_text[text]

    topic_columns = {slug: frozenset(c for c in map(column, texts) if c is not None)
                     for slug, texts in topics.items()}

    keys, min_upvotes, limits, indptr, columns, sent = [], [], [], [0], [], {}
    for row, reader in enumerate(readers):
        mine = {c for c in map(column, reader.lines) if c is not None}
        for slug in reader.topics:
            mine.update(topic_columns.get(slug, ()))
        if not mine and not reader.lines and not reader.topics:
            mine = {EVERYTHING}  # no filters at all: the edition's top papers
        columns.extend(mine)
        indptr.append(len(columns))
        keys.append(reader.key)
        min_upvotes.append(reader.min_upvotes)
        limits.append(reader.limit)
        if reader.sent:
            sent[row] = reader.sent
    matrix = sparse.csr_matrix(
        (np.ones(len(columns), dtype=np.int32), np.asarray(columns, dtype=np.int32),
         np.asarray(indptr, dtype=np.int64)),
        shape=(len(keys), 1 + len(lines)),
    )
    return CompiledReaders(
        keys=np.asarray(keys, dtype=np.int64), matrix=matrix, lines=lines,
        min_upvotes=np.asarray(min_upvotes, dtype=np.int64),
        limits=np.asarray(limits, dtype=np.int64), sent=sent, rejected_lines=rejected)


# --- matching -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineMatch:
    line: str
    words: list[str]


@dataclass(frozen=True)
class RankedPaper:
    key: int
    title_hit: bool
    line_count: int
    why: list[LineMatch]


@dataclass
class Matches:
    """Each reader's papers, best first: row r's are positions[starts[r]:starts[r] + counts[r]]."""

    readers: CompiledReaders
    index: PaperIndex
    starts: np.ndarray
    counts: np.ndarray
    positions: np.ndarray  # paper positions in the index
    levels: np.ndarray  # title_hit * 128 + matched line count

    def _span(self, row: int) -> slice:
        return slice(int(self.starts[row]), int(self.starts[row] + self.counts[row]))

    def paper_keys(self, row: int) -> list[int]:
        papers = self.index.papers
        return [papers[p].key for p in self.positions[self._span(row)]]

    def ranked(self, row: int, budget: Budget | None = None) -> list[RankedPaper]:
        """Row `row`'s papers with why each matched: the lines, and the words in the paper."""
        queries = self.readers.queries(row)
        result = []
        span = self._span(row)
        for position, level in zip(self.positions[span], self.levels[span], strict=True):
            position, bit = int(position), 1 << int(position)
            matched = [q for q in queries if self.index.line_bits(q)[0] & bit]
            _spend(budget, sum(self.index.explanation_steps(q, position) for q in matched))
            why = [LineMatch(q.text, self.index.matched_words(q, position)) for q in matched]
            result.append(RankedPaper(key=self.index.papers[position].key,
                                      title_hit=bool(level >= TITLE_LEVEL),
                                      line_count=int(level % TITLE_LEVEL), why=why))
        return result

    def items_json(self, row: int) -> list[tuple[int, str]]:
        """Row `row`'s papers, best first, each with why it matched as the JSON list a
        delivery item stores: what ranked() says, assembled from cached pieces."""
        lines = [(query, self.index.line_bits(query)[0]) for query in self.readers.queries(row)]
        papers, items = self.index.papers, []
        for position in self.positions[self._span(row)].tolist():
            bit = 1 << position
            why = ", ".join(self.index.reason_json(query, position)
                            for query, matched in lines if matched & bit)
            items.append((papers[position].key, f"[{why}]"))
        return items


def line_tables(readers: CompiledReaders, index: PaperIndex, words: int):
    """(columns x words) bitsets: papers each column matches, and where it hits the title."""
    lines = np.zeros((1 + len(readers.lines), words), dtype=np.uint64)
    titles = np.zeros_like(lines)
    lines[EVERYTHING] = words_of(index.all_bits, words)
    for column, query in enumerate(readers.lines, start=1):
        matched, title = index.line_bits(query)
        lines[column] = words_of(matched, words)
        titles[column] = words_of(title, words)
    return lines, titles


def valid_papers(readers: CompiledReaders, index: PaperIndex, words: int):
    """Per reader, an index into a table of paper bitsets they may get (by minimum upvotes)."""
    thresholds, which = np.unique(readers.min_upvotes, return_inverse=True)
    table = np.zeros((len(thresholds), words), dtype=np.uint64)
    for k, threshold in enumerate(thresholds):
        bits = sum(1 << i for i, paper in enumerate(index.papers) if paper.upvotes >= threshold)
        table[k] = words_of(bits, words)
    return table, which


def match(readers: CompiledReaders, index: PaperIndex, *, threads: int = 2) -> Matches:
    """Rank every reader's papers. Readers with the same number of lines are ranked
    together in chunks; numpy releases the GIL, so chunks run on `threads` cores."""
    words = max(1, (len(index) + 63) // 64)
    lines, titles = line_tables(readers, index, words)
    valid_table, valid_of = valid_papers(readers, index, words)
    matrix = readers.matrix
    line_counts = np.diff(matrix.indptr)

    def rank_chunk(rows: np.ndarray) -> tuple[np.ndarray, Ranked, np.ndarray]:
        m = int(line_counts[rows[0]])
        columns = matrix.indices[matrix.indptr[rows][:, None] + np.arange(m)]
        valid = valid_table[valid_of[rows]]
        for local in np.flatnonzero(np.isin(rows, list(readers.sent))):
            for key in readers.sent[int(rows[local])]:
                if key in index.position:  # a paper already sent is never sent again
                    position = index.position[key]
                    valid[local, position // 64] &= ~np.uint64(1 << position % 64)
        ranked = rank_group(lines, titles, columns, valid, readers.limits[rows])
        row_starts = np.cumsum(ranked.taken) - ranked.taken
        order = np.empty(int(ranked.taken.sum()), dtype=np.int64)
        order[row_starts[ranked.rows] + ranked.slots] = np.arange(len(ranked.rows))
        return rows, ranked, order

    chunks = [same[i:i + CHUNK]
              for m in np.unique(line_counts[line_counts > 0])
              for same in [np.flatnonzero(line_counts == m)]
              for i in range(0, len(same), CHUNK)]
    starts = np.zeros(len(line_counts), dtype=np.int64)
    counts = np.zeros(len(line_counts), dtype=np.int64)
    positions, levels, offset = [], [], 0
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for rows, ranked, order in pool.map(rank_chunk, chunks):
            starts[rows] = offset + np.cumsum(ranked.taken) - ranked.taken
            counts[rows] = ranked.taken
            positions.append(ranked.positions[order])
            levels.append(ranked.levels[order])
            offset += len(order)
    return Matches(readers=readers, index=index, starts=starts, counts=counts,
                   positions=np.concatenate(positions or [np.empty(0, np.int64)]),
                   levels=np.concatenate(levels or [np.empty(0, np.int64)]))
