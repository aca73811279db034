import numpy as np

from digest.match.topk import keep_lowest, set_bits, words_of


def test_keep_lowest_keeps_the_lowest_set_bits_of_each_row():
    words = np.array([[0b1011_0110 | 0b11 << 62, 0b11], [2**64 - 1, 2**64 - 1], [0b101, 0]],
                     dtype=np.uint64)
    kept = keep_lowest(words, np.array([6, 65, 0]))
    assert kept.tolist() == [[0b1011_0110 | 1 << 62, 0], [2**64 - 1, 1], [0, 0]]


def test_set_bits_lists_positions_by_row_then_position():
    words = np.array([[0b101 | 1 << 40, 1 << 63], [0, 0], [0, 1]], dtype=np.uint64)
    rows, positions = set_bits(words)
    assert rows.tolist() == [0, 0, 0, 0, 2]
    assert positions.tolist() == [0, 2, 40, 127, 64]


def test_words_of_puts_bit_i_at_paper_i():
    bits = (1 << 0) | (1 << 63) | (1 << 64) | (1 << 130)
    rows, positions = set_bits(words_of(bits, 3)[None, :])
    assert positions.tolist() == [0, 63, 64, 130]
