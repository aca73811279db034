"""Matching an edition's papers against every reader's filters at once.

Pure: no models, no settings. Three steps, each done once per run however many readers:

1. `PaperIndex` (digest.match.index) tokenizes the edition's papers into per-field
   inverted indexes, with the papers in tie-break order (most upvotes, then newest), so a
   paper's position is its rank.
2. `compile_readers` (digest.match.readers) turns every reader's lines (their own and their
   topics') into a sparse reader x column matrix, where a column is a distinct line of a
   `LineTable` (digest.match.lines) or "everything". Identical lines shared by many readers
   are one column; batches of an edition share the table, so each is parsed and evaluated
   once per edition.
3. `match` (here) has the table evaluate the lines it has not yet (a bitset of papers per
   line) and ranks every reader's papers over those bitsets (`digest.match.topk`).
   Explanations ("why this paper") are computed only for the papers a caller asks about.

Ranking (docs/filters.md): title hits first, then more matched lines, then upvotes, then newest.
"""

import logging
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from digest.match.index import Budget, PaperIndex, spend
from digest.match.readers import CompiledReaders, Reader, compile_readers
from digest.match.topk import TITLE_LEVEL, Ranked, rank_group, words_of

log = logging.getLogger(__name__)

CHUNK = 50_000  # readers ranked at once; bounds peak memory


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

    def take(self, rows: np.ndarray) -> "Matches":
        """These rows' matches only (a batch's slice to write, its readers with learning)."""
        return Matches(readers=self.readers.take(rows), index=self.index,
                       starts=self.starts[rows], counts=self.counts[rows],
                       positions=self.positions, levels=self.levels)

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
            spend(budget, sum(self.index.explanation_steps(q, position) for q in matched))
            why = [LineMatch(q.text, self.index.matched_words(q, position)) for q in matched]
            result.append(RankedPaper(key=self.index.papers[position].key,
                                      title_hit=bool(level >= TITLE_LEVEL),
                                      line_count=int(level % TITLE_LEVEL), why=why))
        return result

    def items_json(self, row: int, only: Collection[int] | None = None) -> list[tuple[int, str]]:
        """Row `row`'s papers (those of them whose keys are in `only`, when given), best
        first, each with why it matched as the JSON list a delivery item stores: what
        ranked() says, assembled from cached pieces."""
        lines = [(query, self.index.line_bits(query)[0]) for query in self.readers.queries(row)]
        papers, items = self.index.papers, []
        for position in self.positions[self._span(row)].tolist():
            if only is not None and papers[position].key not in only:
                continue
            bit = 1 << position
            why = ", ".join(self.index.reason_json(query, position)
                            for query, matched in lines if matched & bit)
            items.append((papers[position].key, f"[{why}]"))
        return items


def valid_papers(readers: CompiledReaders, index: PaperIndex, words: int):
    """Per reader, an index into a table of paper bitsets they may get (by minimum upvotes)."""
    thresholds, which = np.unique(readers.min_upvotes, return_inverse=True)
    table = np.zeros((len(thresholds), words), dtype=np.uint64)
    for k, threshold in enumerate(thresholds):
        table[k] = words_of(index.upvoted_bits(int(threshold)), words)
    return table, which


def match(readers: CompiledReaders, index: PaperIndex, *, threads: int = 2,
          budget: Budget | None = None) -> Matches:
    """Rank every reader's papers. Readers with the same number of lines are ranked
    together in chunks; numpy releases the GIL, so chunks run on `threads` cores. With a
    budget, evaluating the lines is charged to it (TooMuchWork when spent)."""
    words = max(1, (len(index) + 63) // 64)
    lines, titles = readers.table.rows(index, budget)
    valid_table, valid_of = valid_papers(readers, index, words)
    matrix = readers.matrix
    line_counts = np.diff(matrix.indptr)
    sent_rows, sent_positions = readers.sent_rows, index.positions_of(readers.sent_keys)

    def rank_chunk(rows: np.ndarray) -> tuple[np.ndarray, Ranked, np.ndarray]:
        m = int(line_counts[rows[0]])
        columns = matrix.indices[matrix.indptr[rows][:, None] + np.arange(m)]
        valid = valid_table[valid_of[rows]]
        # A paper already sent is never sent again: off in the reader's valid papers.
        local = np.minimum(np.searchsorted(rows, sent_rows), len(rows) - 1)
        off = (rows[local] == sent_rows) & (sent_positions >= 0)
        np.bitwise_and.at(valid, (local[off], sent_positions[off] // 64),
                          ~(np.uint64(1) << (sent_positions[off] % 64).astype(np.uint64)))
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


def match_few(readers: list[Reader], index: PaperIndex, *, topics: Mapping[str, Sequence[str]],
              budget: Budget | None = None) -> Matches:
    """A handful of readers matched in this thread: a preview, a topic's count, the match
    command, an operator's sample digest."""
    return match(compile_readers(readers, topics=topics), index, threads=1, budget=budget)
