"""Every reader's filters as one sparse matrix: a row per reader, a column per distinct line
(their own lines and their topics'), the columns those of a LineTable that batches of an
edition share, so lines shared by many readers are parsed and evaluated once. Readers come
as columns of plain values (ReaderRows), as the database hands them over (their lines split
by digest.match.stored), and are compiled with array operations, not reader by reader.
Pure: no models, no settings."""

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
    line_rows: list[int] | np.ndarray = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    min_upvotes: list[int] = field(default_factory=list)
    limits: list[int] = field(default_factory=list)
    topic_rows: list[int] = field(default_factory=list)
    topic_slugs: list[str] = field(default_factory=list)
    sent_rows: list[int] = field(default_factory=list)
    sent_keys: list[int] = field(default_factory=list)

    def add(self, reader: Reader) -> None:
        row = len(self.keys)
        self.keys.append(reader.key)
        self.line_rows += [row] * len(reader.lines)
        self.lines += reader.lines
        self.min_upvotes.append(reader.min_upvotes)
        self.limits.append(reader.limit)
        self.topic_rows += [row] * len(reader.topics)
        self.topic_slugs += reader.topics
        self.sent_rows += [row] * len(reader.sent)
        self.sent_keys += sorted(reader.sent)

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
    rows = ReaderRows()
    for reader in readers:
        rows.add(reader)
    return compile_rows(rows, topics=topics, table=table)


def compile_rows(rows: ReaderRows, *, topics: Mapping[str, Sequence[str]],
                 table: LineTable | None = None) -> CompiledReaders:
    """compile_readers for readers given as columns."""
    table = LineTable() if table is None else table
    readers = len(rows.keys)
    codes = np.asarray(table.codes(rows.lines), dtype=np.int64)
    line_rows = np.asarray(rows.line_rows, dtype=np.int64)
    own = codes > EVERYTHING  # a column: not a blank line, nor one that no longer parses
    # A topic's lines, for each (reader, topic) pair.
    topic_columns = {slug: np.asarray(sorted({c for c in map(table.column, texts)
                                              if c is not None}), dtype=np.int64)
                     for slug, texts in topics.items()}
    empty = np.empty(0, dtype=np.int64)
    per_pair = [topic_columns.get(slug, empty) for slug in rows.topic_slugs]
    pair_rows = np.repeat(np.asarray(rows.topic_rows, dtype=np.int64),
                          [len(columns) for columns in per_pair])
    # No filters at all (no line, blank ones aside, and no topic): the edition's top papers.
    wrote = np.bincount(line_rows[codes != BLANK], minlength=readers) > 0
    chose = np.bincount(np.asarray(rows.topic_rows, dtype=np.int64), minlength=readers) > 0
    everything = np.flatnonzero(~wrote & ~chose)
    width = 1 + len(table.queries)
    cells = np.sort(np.concatenate([  # (row, column) pairs, by row
        line_rows[own] * width + codes[own],
        pair_rows * width + np.concatenate(per_pair or [empty]),
        everything * width + EVERYTHING]))
    cells = cells[np.diff(cells, prepend=-1) != 0]  # each once: a line and a topic may share
    matrix = sparse.csr_matrix(
        (np.ones(len(cells), dtype=np.int32), (cells % width).astype(np.int32),
         np.concatenate([[0], np.cumsum(np.bincount(cells // width, minlength=readers))])),
        shape=(readers, width))
    return CompiledReaders(
        keys=np.asarray(rows.keys, dtype=np.int64), matrix=matrix, table=table,
        min_upvotes=np.asarray(rows.min_upvotes, dtype=np.int64),
        limits=np.asarray(rows.limits, dtype=np.int64),
        sent_rows=np.asarray(rows.sent_rows, dtype=np.int64),
        sent_keys=np.asarray(rows.sent_keys, dtype=np.int64))
