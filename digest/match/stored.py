"""Readers' own lines from their stored interests and authors, a batch of readers at a time:
what subscriptions.filters.reader_lines says of each reader, without a Python call per
reader. Pure: no models, no settings."""

import functools
import itertools

import numpy as np

from subscriptions.filters import author_line


def stored_lines(interests: list[str], authors: list[str]) -> tuple[np.ndarray, list[str]]:
    """(each line's row, the lines): the lines of reader_lines, but as typed (compile_rows
    strips each and skips blank ones)."""
    line_counts, lines = _split_lines(interests)
    followers = [row for row, followed in enumerate(authors) if followed]
    name_counts, names = _split_lines([authors[row] for row in followers])
    rows = np.concatenate([np.repeat(np.arange(len(interests)), line_counts),
                           np.repeat(np.asarray(followers, dtype=np.int64), name_counts)])
    return rows, lines + list(map(_author_line, names))


# What str.splitlines breaks lines at, besides "\n".
RARE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _split_lines(texts: list[str]) -> tuple[np.ndarray, list[str]]:
    """Each text's lines (str.splitlines, give or take blank ones): how many, and all of
    them one text after another. Texts broken only at "\n", as stored lines are, are split
    all at once."""
    joined = "\n".join(texts)
    if not any(rare in joined for rare in RARE_BREAKS):  # a substring search is fastest
        counts = np.fromiter(map(str.count, texts, itertools.repeat("\n")), dtype=np.int64,
                             count=len(texts))
        return counts + 1, joined.split("\n") if texts else []
    split = list(map(str.splitlines, texts))
    return np.fromiter(map(len, split), dtype=np.int64, count=len(texts)), list(
        itertools.chain.from_iterable(split))


@functools.lru_cache(maxsize=100_000)
def _author_line(name: str) -> str:
    """The line of an author followed, as typed ("" for a blank name, which is none)."""
    name = name.strip()
    return author_line(name) if name else ""
