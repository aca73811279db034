"""Bulk scoring (scoring.top_k) against the plain way: score every pair, drop what a reader
may not get or what falls under their bar, sort."""

import numpy as np
import pytest

from digest.learn.scoring import top_k


def brute_force(readers, papers, k, thresholds, allowed):
    scores = readers.astype(np.float32) @ papers.T
    listed = []
    for r, row in enumerate(scores):
        ok = [p for p in np.argsort(-row, kind="stable")
              if allowed[r, p] and row[p] >= thresholds[r]]
        listed.append([int(p) for p in ok[:k]])
    return listed


@pytest.mark.parametrize("threads", [1, 2])
def test_top_k_lists_each_readers_best_allowed_papers_above_their_bar(threads):
    rng = np.random.default_rng(7)
    readers = rng.standard_normal((300, 24)).astype(np.float16)
    papers = rng.standard_normal((90, 24)).astype(np.float32)
    thresholds = rng.normal(2.0, 1.0, 300).astype(np.float32)
    thresholds[:20] = np.inf  # recommendations off: nothing clears the bar
    allowed = rng.random((300, 90)) > 0.3
    allowed[20:30] = False  # nothing allowed
    indices, scores = top_k(readers, papers, 5, thresholds, allowed=allowed, chunk=64,
                            threads=threads)
    expected = brute_force(readers, papers, 5, thresholds, allowed)
    for r in range(300):
        listed = [int(i) for i in indices[r] if i >= 0]
        assert listed == expected[r]
        assert np.all(np.isneginf(scores[r][indices[r] < 0]))
        assert np.all(np.diff(scores[r][indices[r] >= 0]) <= 0)  # best first
    assert (indices[:30] == -1).all()
    assert (indices >= 0).sum(axis=1).max() == 5


def test_top_k_without_bar_or_mask_lists_k_papers_per_reader():
    rng = np.random.default_rng(8)
    readers = rng.standard_normal((50, 8)).astype(np.float32)
    papers = rng.standard_normal((12, 8)).astype(np.float32)
    indices, _ = top_k(readers, papers, 4)
    everything = np.ones((50, 12), bool)
    assert indices.tolist() == brute_force(readers, papers, 4, np.full(50, -np.inf), everything)
