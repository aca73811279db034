import numpy as np

from digest.match.topk import keep_lowest, set_bits, words_of


def test_keep_lowest_keeps_the_lowest_set_bits_of_each_row():
    masks = np.array([[0b10110110, 0b00000011], [0b11111111, 0b11111111]], dtype=np.uint8)
    kept = keep_lowest(masks, np.array([3, 9]))
    assert kept.tolist() == [[0b00010110, 0], [0b11111111, 0b00000001]]


def test_set_bits_lists_positions_by_row_then_position():
    masks = np.array([[0b00000101, 0b10000000], [0, 0], [0, 0b00000001]], dtype=np.uint8)
    rows, positions = set_bits(masks)
    assert rows.tolist() == [0, 0, 0, 2]
    assert positions.tolist() == [0, 2, 15, 8]


def test_words_of_puts_bit_i_at_paper_i():
    bits = (1 << 0) | (1 << 63) | (1 << 64) | (1 << 130)
    rows, positions = set_bits(words_of(bits, 3).view(np.uint8)[None, :])
    assert positions.tolist() == [0, 63, 64, 130]
