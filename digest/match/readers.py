"""Every reader's filters as one sparse matrix: a row per reader, a column per distinct line
(their own lines and their topics'), the columns those of a LineTable that batches of an
edition share, so lines shared by many readers are parsed and evaluated once. Readers come
as columns of plain values (ReaderRows), as the database hands them over (their lines split
by digest.match.stored), and are compiled with array operations, not reader by reader.
Pure: no models, no settings."""

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np
from scipy import sparse

from digest.match.lines import BLANK, EVERYTHING, LineTable
from subscriptions.filters import Query, typed_lines


class Reader(NamedTuple):
    """What matching needs of a subscriber: their own lines (interests and `author:` lines),
    the slugs of their topics, and their limits."""

    key: int
    lines: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    min_upvotes: int = 0
    limit: int = 10
    sent: frozenset[int] = frozenset()  # keys of papers already sent to this reader


@dataclass
class ReaderRows:
    """Readers as columns: their own lines (as typed: stripped when compiled, and a blank
    one is no line), topics and papers sent before as (row, value) pairs."""

    keys: list[int] = field(default_factory=list)
    line_rows: Sequence[int] = field(default_factory=list)  # each line's row
    lines: list[str] = field(default_factory=list)
    min_upvotes: list[int] = field(default_factory=list)
    limits: list[int] = field(default_factory=list)
    topic_rows: Sequence[int] = field(default_factory=list)
    topic_slugs: list[str] = field(default_factory=list)
    sent_rows: Sequence[int] = field(default_factory=list)
    sent_keys: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, readers: Iterable[Reader]) -> "ReaderRows":
        """Readers given one by one, as columns."""
        readers = list(readers)
        rows = np.arange(len(readers))
        lines = [reader.lines for reader in readers]
        topics = [reader.topics for reader in readers]
        sent = [reader.sent for reader in readers]
        return cls(keys=[reader.key for reader in readers],
                   line_rows=np.repeat(rows, list(map(len, lines))),
                   lines=list(itertools.chain.from_iterable(lines)),
                   min_upvotes=[reader.min_upvotes for reader in readers],
                   limits=[reader.limit for reader in readers],
                   topic_rows=np.repeat(rows, list(map(len, topics))),
                   topic_slugs=list(itertools.chain.from_iterable(topics)),
                   sent_rows=np.repeat(rows, list(map(len, sent))),
                   sent_keys=list(itertools.chain.from_iterable(sent)))

    def reader(self, row: int) -> Reader:
        """Row `row` as a Reader (for a look at one, or the per-reader reference loop)."""
        return Reader(
            key=self.keys[row],
            lines=typed_lines(line for r, line in zip(self.line_rows, self.lines, strict=True)
                              if r == row),
            topics=tuple(s for r, s in zip(self.topic_rows, self.topic_slugs, strict=True)
                         if r == row),
            min_upvotes=self.min_upvotes[row], limit=self.limits[row],
            sent=frozenset(k for r, k in zip(self.sent_rows, self.sent_keys, strict=True)
                           if r == row))


@dataclass
class CompiledReaders:
    keys: np.ndarray  # reader keys, in row order
    matrix: sparse.csr_matrix  # readers x columns, 1 where the reader has the column
    table: LineTable  # the columns' lines (shared with other batches of the edition)
    min_upvotes: np.ndarray
    limits: np.ndarray
    sent_rows: np.ndarray  # papers already sent, as (row, paper key) pairs by row
    sent_keys: np.ndarray

    @property
    def lines(self) -> list[Query]:
        """The table's lines, column c's at c - 1 (distinct by meaning: `LLMs` and `llm` are
        one line); with a shared table, also lines of the edition's other batches."""
        return self.table.queries

    @property
    def rejected_lines(self) -> dict[str, str]:
        """Lines skipped because they no longer parse, with why."""
        return self.table.rejected

    @cached_property
    def sent(self) -> dict[int, frozenset[int]]:
        """Row -> keys of the papers already sent to that reader (readers with any)."""
        found: dict[int, set[int]] = {}
        for row, key in zip(self.sent_rows.tolist(), self.sent_keys.tolist(), strict=True):
            found.setdefault(row, set()).add(key)
        return {row: frozenset(keys) for row, keys in found.items()}

    def queries(self, row: int) -> list[Query]:
        """The distinct lines, own and from topics, behind reader `row`."""
        columns = self.matrix.indices[self.matrix.indptr[row]:self.matrix.indptr[row + 1]]
        return [self.lines[c - 1] for c in sorted(columns) if c != EVERYTHING]

    def take(self, rows: np.ndarray) -> "CompiledReaders":
        """These rows only, in this order."""
        new_row = np.full(len(self.keys), -1, dtype=np.int64)
        new_row[rows] = np.arange(len(rows))
        sent_rows = new_row[self.sent_rows]
        kept = np.flatnonzero(sent_rows >= 0)
        kept = kept[np.argsort(sent_rows[kept], kind="stable")]
        return CompiledReaders(
            keys=self.keys[rows], matrix=self.matrix[rows], table=self.table,
            min_upvotes=self.min_upvotes[rows], limits=self.limits[rows],
            sent_rows=sent_rows[kept], sent_keys=self.sent_keys[kept])


def compile_readers(readers: Iterable[Reader], *, topics: Mapping[str, Sequence[str]],
                    table: LineTable | None = None) -> CompiledReaders:
    """Every reader's filters (own lines and their topics' lines) as one sparse matrix over
    the columns of `table` (a new one by default), which gains the lines it lacked."""
    return compile_rows(ReaderRows.of(readers), topics=topics, table=table)


def compile_rows(rows: ReaderRows, *, topics: Mapping[str, Sequence[str]],
                 table: LineTable | None = None) -> CompiledReaders:
    """compile_readers for readers given as columns."""
    table = LineTable() if table is None else table
    readers = len(rows.keys)
    codes = np.asarray(table.codes(rows.lines), dtype=np.int64)
    line_rows = np.asarray(rows.line_rows, dtype=np.int64)
    own = codes > EVERYTHING  # a column: not a blank line, nor one that no longer parses
    topic_rows, topic_columns = _topic_cells(rows, topics, table)
    # No filters at all (no line, blank ones aside, and no topic): the edition's top papers.
    wrote = np.bincount(line_rows[codes != BLANK], minlength=readers) > 0
    chose = np.bincount(np.asarray(rows.topic_rows, dtype=np.int64), minlength=readers) > 0
    everything = np.flatnonzero(~wrote & ~chose)
    width = 1 + len(table.queries)
    cells = np.sort(np.concatenate([  # (row, column) pairs, by row
        line_rows[own] * width + codes[own],
        topic_rows * width + topic_columns,
        everything * width + EVERYTHING]))
    first = np.ones(len(cells), dtype=bool)  # each once: a line and a topic may share
    np.not_equal(cells[1:], cells[:-1], out=first[1:])
    cell_rows, cell_columns = np.divmod(cells[first], width)
    matrix = sparse.csr_matrix(
        (np.ones(len(cell_rows), dtype=np.int32), cell_columns.astype(np.int32),
         np.concatenate([[0], np.cumsum(np.bincount(cell_rows, minlength=readers))])),
        shape=(readers, width))
    return CompiledReaders(
        keys=np.asarray(rows.keys, dtype=np.int64), matrix=matrix, table=table,
        min_upvotes=np.asarray(rows.min_upvotes, dtype=np.int64),
        limits=np.asarray(rows.limits, dtype=np.int64),
        sent_rows=np.asarray(rows.sent_rows, dtype=np.int64),
        sent_keys=np.asarray(rows.sent_keys, dtype=np.int64))


def _topic_cells(rows: ReaderRows, topics: Mapping[str, Sequence[str]],
                 table: LineTable) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of every line of every reader's topics."""
    columns = [sorted({c for c in map(table.column, texts) if c is not None})
               for texts in topics.values()]
    sizes = np.asarray([len(topic) for topic in columns] + [0])  # the last: an unknown slug
    starts = np.cumsum(sizes) - sizes
    index_of = {slug: i for i, slug in enumerate(topics)}
    which = np.fromiter(map(index_of.get, rows.topic_slugs, itertools.repeat(len(columns))),
                        dtype=np.int64, count=len(rows.topic_slugs))
    counts = sizes[which]
    nth = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    flat = np.asarray(list(itertools.chain.from_iterable(columns)) or [0], dtype=np.int64)
    return (np.repeat(np.asarray(rows.topic_rows, dtype=np.int64), counts),
            flat[np.repeat(starts[which], counts) + nth])
