"""Bulk scoring: every reader against an edition's papers, keeping each reader's top k.

A reader is a weight vector in the hybrid space (profiles.Scorer.weights: 384 MiniLM +
128 reduced TF-IDF dimensions), stored float16, with a float32 threshold (the scorer's
threshold minus its bias). Readers are scored in chunks: the chunk is upcast to float32,
multiplied by the papers' float32 rows in one matrix product, and argpartition picks the
top k without sorting all papers; chunks run on a thread pool (numpy releases the GIL in
both steps), so memory is the readers' float16 matrix plus a chunk per thread.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits  # scikit-learn's dependency

CHUNK = 1024  # readers a step: the (chunk x papers) scores stay in cache (6 MB)


def top_k(readers: np.ndarray, papers: np.ndarray, k: int,
          thresholds: np.ndarray | None = None, *, allowed: np.ndarray | None = None,
          chunk: int = CHUNK, threads: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """For each reader (row of `readers`, float16 or float32, (R, d)) the indices of its k
    best papers (rows of `papers`, (P, d)), best first, and their scores, shapes (R, k).
    A paper scoring below the reader's threshold, or not `allowed` for that reader (an
    (R, P) mask: sent before, under their upvote floor), is given as index -1 (score
    -inf), so a row lists only what clears the bar. Equal scores are listed lower index
    first (at the cut, which of them make it is arbitrary).

    `threads` chunks run at once, each with a one-thread BLAS: the product and the
    partition (single-threaded in numpy) then both use every core."""
    n_readers, n_papers = readers.shape[0], papers.shape[0]
    k = min(k, n_papers)
    papers_t = np.ascontiguousarray(papers.T, dtype=np.float32)
    indices = np.empty((n_readers, k), dtype=np.int32)
    scores = np.empty((n_readers, k), dtype=np.float32)

    def run(start: int) -> None:
        stop = min(start + chunk, n_readers)
        s = readers[start:stop].astype(np.float32) @ papers_t  # (chunk, P): one product
        if allowed is not None:
            s[~allowed[start:stop]] = -np.inf
        if k < n_papers:  # the k largest, unordered (argpartition; no negated copy)
            part = np.argpartition(s, n_papers - k, axis=1)[:, n_papers - k:]
        else:
            part = np.broadcast_to(np.arange(n_papers), s.shape)
        best = np.take_along_axis(s, part, axis=1)
        order = np.lexsort((part, -best), axis=1)  # best first, then lower index
        idx = np.take_along_axis(part, order, axis=1)
        val = np.take_along_axis(best, order, axis=1)
        if thresholds is not None or allowed is not None:
            bar = -np.inf if thresholds is None else thresholds[start:stop, None]
            below = (val < bar) | (val == -np.inf)
            idx = np.where(below, -1, idx)
            val = np.where(below, -np.inf, val)
        indices[start:stop] = idx
        scores[start:stop] = val

    starts = range(0, n_readers, chunk)
    if threads <= 1:
        for start in starts:
            run(start)
    else:
        with threadpool_limits(1), ThreadPoolExecutor(threads) as pool:
            list(pool.map(run, starts))
    return indices, scores


def pair_scores(readers: np.ndarray, papers: np.ndarray, reader_rows: np.ndarray,
                paper_rows: np.ndarray, *, chunk: int = 1 << 16) -> np.ndarray:
    """Scores of given (reader, paper) pairs, e.g. the papers a reader's keyword lines
    matched, which keep their place in the digest and are ordered by score."""
    out = np.empty(len(reader_rows), dtype=np.float32)
    for i in range(0, len(reader_rows), chunk):
        r = readers[reader_rows[i:i + chunk]].astype(np.float32)
        p = papers[paper_rows[i:i + chunk]].astype(np.float32)
        out[i:i + chunk] = np.einsum("ij,ij->i", r, p)
    return out
