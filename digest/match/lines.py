"""Distinct interest lines as the columns of one table: each line's text parsed once, lines
that mean the same (`LLMs` and `llm`) one column, and each column evaluated once against an
edition's papers, as rows of bitset words the ranking gathers. Shared by every batch of an
edition's readers (and, kept with the edition's index, by a worker's build tasks), so a
line costs the same whether ten readers wrote it or a million. Pure: no models, no settings.
"""

import itertools

import numpy as np

from digest.match.index import Budget, PaperIndex
from digest.match.topk import words_of
from subscriptions.filters import FilterError, Query, parse_line

EVERYTHING = 0  # the column of readers with no filters; line i is column i + 1
REJECTED = -1  # the code of a stored line that no longer parses
BLANK = -2  # the code of a blank line, which is no line (subscriptions.filters.typed_lines)
_UNSEEN = -3


class LineTable:
    def __init__(self):
        self.queries: list[Query] = []  # column c's line is queries[c - 1]
        self.rejected: dict[str, str] = {}  # line -> why it was skipped
        self._code_of_text: dict[str, int] = {}  # a column, REJECTED or BLANK
        self._column_of_key: dict[tuple, int] = {}
        self._index: PaperIndex | None = None
        self._matched = self._titles = np.zeros((0, 1), dtype=np.uint64)
        self._evaluated = 0  # rows of _matched and _titles filled for _index

    def column(self, text: str) -> int | None:
        """The line's column, parsed the first time its text comes; None for a stored line
        that no longer parses (skipped, never fatal, and said in `rejected`)."""
        code = self._code(text)
        return None if code == REJECTED else code

    def codes(self, texts: list[str]) -> list[int]:
        """Each line's column, REJECTED, or BLANK, a million lines at once: lines as typed,
        each stripped (what column() says of the stripped line)."""
        codes = list(map(self._code_of_text.get, texts, itertools.repeat(_UNSEEN)))
        if _UNSEEN in codes:
            codes = [self._code(text) if code == _UNSEEN else code
                     for text, code in zip(texts, codes, strict=True)]
        return codes

    def _code(self, text: str) -> int:
        code = self._code_of_text.get(text)
        if code is None:
            stripped = text.strip()
            if not stripped:
                code = BLANK
            elif stripped != text:
                code = self._code(stripped)
            else:
                code = self._parsed(text)
            self._code_of_text[text] = code
        return code

    def _parsed(self, text: str) -> int:
        try:
            query = parse_line(text)
        except FilterError as error:
            self.rejected[text] = str(error)
            return REJECTED
        column = self._column_of_key.get(query.key)
        if column is None:
            self.queries.append(query)
            column = self._column_of_key[query.key] = len(self.queries)
        return column

    def rows(self, index: PaperIndex, budget: Budget | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
        """(matched, titles), a row of uint64 words per column: the papers of `index` the
        column matches, and those where it hits the title (row EVERYTHING: every paper).
        Columns added since the last call are evaluated now, each once per index; with a
        budget, that work is charged to it (TooMuchWork when spent)."""
        words = max(1, (len(index) + 63) // 64)
        if index is not self._index:
            self._index, self._evaluated = index, 0
            self._matched = self._titles = np.zeros((0, words), dtype=np.uint64)
        needed = 1 + len(self.queries)
        if needed > len(self._matched):  # grown by half again, copied rarely
            room = max(needed, len(self._matched) * 3 // 2, 64)
            self._matched = _grown(self._matched, room, self._evaluated)
            self._titles = _grown(self._titles, room, self._evaluated)
        if not self._evaluated:
            self._matched[EVERYTHING] = words_of(index.all_bits, words)
            self._evaluated = 1
        for column in range(self._evaluated, needed):
            matched, title = index.line_bits(self.queries[column - 1], budget)
            self._matched[column] = words_of(matched, words)
            self._titles[column] = words_of(title, words)
            self._evaluated = column + 1
        return self._matched[:needed], self._titles[:needed]


def _grown(rows: np.ndarray, room: int, filled: int) -> np.ndarray:
    bigger = np.zeros((room, rows.shape[1]), dtype=rows.dtype)
    bigger[:filled] = rows[:filled]
    return bigger
