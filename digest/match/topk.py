"""Per reader, the best papers by (title hit, matched line count, position), over bitsets.

Papers are bits (bit i = the paper at position i, positions already in upvote order), so a
set of papers is a row of uint64 words, and a group of readers with m lines each is a
(readers x words) array per line. Counting how many of a reader's lines match each paper
is a bit-sliced adder; a level (title hit or not, exactly n lines) is then a mask, and a
reader takes whole levels, best first, until its limit, the last one cut to its lowest
bits. The cost grows with readers x lines x words, never with how many papers a broad line
like "learning" matches, and the output is built without sorting.
"""

from dataclasses import dataclass

import numpy as np

# For each byte value: its set bits' offsets, lowest first (-1 beyond its popcount), and
# the byte with only its lowest j set bits kept.
_BYTES = np.arange(256, dtype=np.uint8)
BIT_OFFSETS = np.full((256, 8), -1, dtype=np.int16)
KEEP_LOWEST = np.zeros((256, 9), dtype=np.uint8)
for _value in range(256):
    _offsets = [bit for bit in range(8) if _value >> bit & 1]
    BIT_OFFSETS[_value, :len(_offsets)] = _offsets
    for _j in range(9):
        KEEP_LOWEST[_value, _j] = sum(1 << bit for bit in _offsets[:_j])


def words_of(bits: int, words: int) -> np.ndarray:
    """A Python int bitset as `words` little-endian uint64 words."""
    return np.frombuffer(bits.to_bytes(words * 8, "little"), dtype=np.uint64)


def keep_lowest(words: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Each row of uint64 `words` with only its lowest `keep[row]` set bits: whole words
    below the cut, none above, and the one word the cut falls in trimmed byte by byte."""
    counts = np.bitwise_count(words).astype(np.int32)
    wanted = keep[:, None] - (np.cumsum(counts, axis=1) - counts)  # bits still wanted
    kept = np.where(wanted >= counts, words, np.uint64(0))
    rows, cut = np.nonzero((wanted > 0) & (wanted < counts))
    octets = words[rows, cut].view(np.uint8).reshape(-1, 8)
    octet_counts = np.bitwise_count(octets).astype(np.int32)
    before = np.cumsum(octet_counts, axis=1) - octet_counts
    trimmed = KEEP_LOWEST[octets, np.clip(wanted[rows, cut][:, None] - before, 0, 8)]
    kept[rows, cut] = trimmed.view(np.uint64).ravel()
    return kept


def set_bits(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, position) of every set bit of uint64 `words`, by row, then position: the
    nonzero words, then their nonzero bytes, then those bytes' bits."""
    rows, word_index = np.nonzero(words)
    octets = words[rows, word_index].view(np.uint8).reshape(-1, 8)
    found, byte_index = np.nonzero(octets)
    values = octets[found, byte_index]
    counts = np.bitwise_count(values).astype(np.int64)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    nth = np.arange(len(first)) - first
    base = word_index[found] * 64 + byte_index * 8
    positions = np.repeat(base, counts) + BIT_OFFSETS[np.repeat(values, counts), nth]
    return np.repeat(rows[found], counts), positions


@dataclass
class Ranked:
    """For one group of readers: how many papers each takes, and each paper taken with its
    row in the group, its slot in that row's digest (0 = best), position and level."""

    taken: np.ndarray
    rows: np.ndarray
    slots: np.ndarray
    positions: np.ndarray
    levels: np.ndarray  # title_hit * 128 + matched line count


TITLE_LEVEL = 128


def rank_group(lines: np.ndarray, titles: np.ndarray, columns: np.ndarray, valid: np.ndarray,
               limits: np.ndarray) -> Ranked:
    """`columns` (readers x m) picks each reader's m line rows out of `lines` and `titles`
    (line x words); `valid` (readers x words) are the papers each may get."""
    group, m = columns.shape
    planes = [np.zeros_like(valid) for _ in range(m.bit_length())]
    title = np.zeros_like(valid)
    for j in range(m):
        carry = lines[columns[:, j]]
        title |= titles[columns[:, j]]
        for plane in planes:  # add this line to the bit-sliced count
            carry, plane[...] = plane & carry, plane ^ carry
    title &= valid
    untitled = valid & ~title
    taken = np.zeros(group, dtype=np.int64)
    live = np.arange(group)  # readers still short of their limit; the arrays follow them
    parts = []
    for title_hit in (True, False):
        for count in range(m, 0, -1):
            need = limits[live] - taken[live]
            short = need > 0
            if not short.all():
                live, need = live[short], need[short]
                planes = [plane[short] for plane in planes]
                title, untitled = title[short], untitled[short]
            if not len(live):
                break
            level = (title if title_hit else untitled).copy()
            for bit, plane in enumerate(planes):
                level &= plane if count >> bit & 1 else ~plane
            found = np.bitwise_count(level).sum(axis=1, dtype=np.int64)
            cut = np.flatnonzero(found > need)
            if len(cut):  # the level that fills a digest: keep its best (lowest) papers
                level[cut] = keep_lowest(level[cut], need[cut])
            some = np.flatnonzero(found)
            if not len(some):
                continue
            local, positions = set_bits(level[some])
            rows = live[some[local]]
            per_row = np.bincount(local, minlength=len(some))
            rank = np.arange(len(local)) - (np.cumsum(per_row) - per_row)[local]
            parts.append((rows, taken[rows] + rank, positions,
                          np.full(len(rows), title_hit * TITLE_LEVEL + count)))
            taken[live[some]] += per_row
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return Ranked(taken, empty, empty, empty, empty)
    rows, slots, positions, levels = (np.concatenate(column)
                                      for column in zip(*parts, strict=True))
    return Ranked(taken, rows, slots, positions, levels)
