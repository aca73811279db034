"""Every reader's filters as one sparse matrix: a row per reader, a column per distinct line
(their own lines and their topics'), so lines shared by many readers are evaluated once.
Pure: no models, no settings."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from subscriptions.filters import FilterError, Query, parse_line


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
