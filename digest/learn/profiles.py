"""A reader's profile: from what they told us (a description, seed papers, their topics'
papers) and their votes ("More like this" / "Less like this") to a linear scorer of papers.

- `Space`: the papers' features in one window of recent papers. The hybrid is two unit
  blocks side by side, TF-IDF (reduced by LSA) and MiniLM, each centred by the window's
  mean and weighted so that a dot product of two rows is
  `tfidf_share * cos_tfidf + (1 - tfidf_share) * cos_minilm`. The same class gives the
  baselines: sparse TF-IDF alone, MiniLM alone.
- `fit_scorer`: cold start (and too few votes) = Rocchio: similarity to one combined
  vector, the description plus the mean of the liked papers minus a little of the mean
  of the disliked ones; with enough votes of both kinds, a per-reader logistic regression.
  Either way the result is a weight vector (a score is one dot product, so millions of
  readers are one matrix product) and a per-reader threshold: the score of the reader's
  top `recommend_share` of the window's papers.
- `Scorer.why`: the liked paper (seed or upvote) closest to a recommended paper.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from digest.learn.text_features import TextFeatures, unit_rows

Matrix = np.ndarray | sparse.csr_matrix


@dataclass(frozen=True)
class SpaceConfig:
    tfidf: str = "reduced"  # "reduced" (LSA, dense), "sparse" (the full vocabulary), "none"
    minilm: bool = True
    tfidf_share: float = 0.2  # of the hybrid similarity, when both blocks are on
    reduced_dims: int = 128  # LSA dimensions of the reduced TF-IDF block
    centre: bool = True  # subtract the window's mean from each block (dense blocks only)


HYBRID = SpaceConfig()
MINILM_ONLY = SpaceConfig(tfidf="none")
TFIDF_ONLY = SpaceConfig(tfidf="sparse", minilm=False, centre=False)


@dataclass
class Space:
    config: SpaceConfig
    text: TextFeatures | None
    mean_tfidf: np.ndarray | None
    mean_minilm: np.ndarray | None

    @classmethod
    def fit(cls, config: SpaceConfig, texts: Sequence[str], embeddings: np.ndarray) -> "Space":
        """Fit on the window: the recent papers' texts and their (float16-stored) embeddings."""
        text = None
        if config.tfidf != "none":
            dims = config.reduced_dims if config.tfidf == "reduced" else 0
            text = TextFeatures.fit(texts, reduced_dims=dims)
        space = cls(config, text, None, None)
        if config.centre:
            if config.tfidf == "reduced":
                space.mean_tfidf = text.reduced(texts).mean(0)
            if config.minilm:
                space.mean_minilm = np.asarray(embeddings, np.float32).mean(0)
        return space

    def rows(self, texts: Sequence[str], embeddings: np.ndarray | None) -> Matrix:
        """Feature rows of papers (or of a reader's own words), unit length or zero."""
        c = self.config
        both = c.tfidf != "none" and c.minilm
        tfidf_weight = np.float32(np.sqrt(c.tfidf_share) if both else 1)
        blocks = []
        if c.tfidf == "sparse":
            blocks.append(self.text.tfidf(texts) * tfidf_weight)
        elif c.tfidf == "reduced":
            blocks.append(self._unit(self.text.reduced(texts), self.mean_tfidf) * tfidf_weight)
        if c.minilm:
            blocks.append(self._unit(np.asarray(embeddings, np.float32), self.mean_minilm)
                          * np.float32(np.sqrt(1 - c.tfidf_share) if both else 1))
        if any(sparse.issparse(b) for b in blocks):
            return sparse.hstack(blocks, format="csr", dtype=np.float32)
        return np.hstack(blocks)

    @staticmethod
    def _unit(x: np.ndarray, mean: np.ndarray | None) -> np.ndarray:
        return unit_rows(x - mean if mean is not None else x)


@dataclass(frozen=True)
class ProfileConfig:
    query_weight: float = 1.0  # Rocchio alpha: the description (or lines) and mean of seeds
    like_weight: float = 0.5  # beta: mean of upvotes
    dislike_weight: float = 0.1  # gamma: mean of downvotes
    learn: bool = False  # logistic regression once there are enough votes (else Rocchio)
    min_up: int = 3
    min_down: int = 2
    C: float = 1.0
    recommend_share: float = 0.05  # threshold: score of the reader's top 5% of the window


@dataclass
class Evidence:
    """What a reader's profile is fitted on, as feature rows of one Space."""

    query: Matrix | None = None  # one row: the description's (or keyword lines') features
    seeds: Matrix | None = None  # seed papers and the reader's topics' papers
    up: Matrix | None = None  # papers voted "More like this"
    down: Matrix | None = None  # papers voted "Less like this"
    liked_ids: Sequence[str] = ()  # ids of the rows of `liked`: seeds, then upvotes

    @property
    def liked(self) -> Matrix | None:
        parts = [m for m in (self.seeds, self.up) if m is not None and m.shape[0]]
        if not parts:
            return None
        return sparse.vstack(parts, format="csr") if sparse.issparse(parts[0]) \
            else np.vstack(parts)

    @property
    def votes_up(self) -> int:
        return 0 if self.up is None else self.up.shape[0]

    @property
    def votes_down(self) -> int:
        return 0 if self.down is None else self.down.shape[0]


@dataclass
class Scorer:
    weights: np.ndarray  # (d,) float32: score = rows @ weights + bias
    bias: float
    threshold: float  # recommend above this
    kind: str  # "rocchio" or "logistic"
    liked: Matrix | None = None
    liked_ids: Sequence[str] = field(default_factory=tuple)

    def scores(self, rows: Matrix) -> np.ndarray:
        return np.asarray(rows @ self.weights).ravel() + self.bias

    def why(self, row: Matrix) -> tuple[str, float] | None:
        """The liked paper (seed, topic paper or upvote) most similar to `row`, and the
        similarity; None for a reader who liked nothing yet (their description is why)."""
        if self.liked is None or not len(self.liked_ids):
            return None
        sims = np.asarray(self.liked @ _dense_row(row)).ravel()
        best = int(np.argmax(sims))
        return self.liked_ids[best], float(sims[best])


def _dense_row(row: Matrix) -> np.ndarray:
    return np.asarray(row.todense() if sparse.issparse(row) else row, np.float32).ravel()


def _mean(rows: Matrix | None) -> np.ndarray | None:
    if rows is None or rows.shape[0] == 0:
        return None
    return np.asarray(rows.mean(axis=0), np.float32).ravel()


def rocchio_vector(ev: Evidence, cfg: ProfileConfig) -> np.ndarray:
    """alpha * (description + mean of seeds) + beta * mean(upvoted) - gamma * mean(downvoted),
    unit length. What the reader stated keeps its weight however many votes come in."""
    parts = [(cfg.query_weight, None if ev.query is None else _dense_row(ev.query)),
             (cfg.query_weight, _mean(ev.seeds)), (cfg.like_weight, _mean(ev.up)),
             (-cfg.dislike_weight, _mean(ev.down))]
    vector = sum(w * v for w, v in parts if v is not None)
    if isinstance(vector, int):
        raise ValueError("a profile needs a description, keyword lines or a liked paper")
    norm = np.linalg.norm(vector)
    return (vector / norm if norm else vector).astype(np.float32)


def _logistic(ev: Evidence, cfg: ProfileConfig) -> tuple[np.ndarray, float]:
    """Liked (and the query, as one more liked example) against disliked, classes
    balanced. liblinear: on tens of rows it fits in a few ms where lbfgs takes 20-50 ms.
    It also regularises the intercept, which is harmless here: a score is only compared
    with the reader's threshold, a quantile of the same scores, so the intercept cancels."""
    pos = [ev.liked] + ([ev.query] if ev.query is not None else [])
    stack = sparse.vstack if any(sparse.issparse(m) for m in pos + [ev.down]) else np.vstack
    x = stack(pos + [ev.down])
    n_pos = sum(m.shape[0] for m in pos)
    y = np.r_[np.ones(n_pos), np.zeros(ev.down.shape[0])]
    from sklearn.linear_model import LogisticRegression  # off by default: no import cost

    model = LogisticRegression(C=cfg.C, class_weight="balanced", solver="liblinear")
    model.fit(x, y)
    return model.coef_.ravel().astype(np.float32), float(model.intercept_[0])


def fit_scorer(ev: Evidence, window: Matrix, cfg: ProfileConfig = ProfileConfig()) -> Scorer:
    """The reader's scorer, and their threshold from `window` (the recent papers' rows)."""
    learned = cfg.learn and ev.votes_up >= cfg.min_up and ev.votes_down >= cfg.min_down
    if learned:
        weights, bias = _logistic(ev, cfg)
    else:
        weights, bias = rocchio_vector(ev, cfg), 0.0
    scorer = Scorer(weights, bias, 0.0, "logistic" if learned else "rocchio", ev.liked,
                    tuple(ev.liked_ids))
    window_scores = scorer.scores(window)
    scorer.threshold = float(np.quantile(window_scores, 1 - cfg.recommend_share))
    return scorer


def sinks(rows: Matrix, liked: Matrix | None, disliked: Matrix | None,
          min_similarity: float = 0.3) -> np.ndarray:
    """Papers of a strongly downvoted kind: their closest voted or seed paper is a
    downvoted one, at least `min_similarity` alike. Such papers sink below the others
    even when a keyword line matches them."""
    n = rows.shape[0]
    if disliked is None or disliked.shape[0] == 0:
        return np.zeros(n, bool)
    down = np.asarray((rows @ disliked.T).todense() if sparse.issparse(rows)
                      else rows @ disliked.T).max(axis=1).ravel()
    up = np.full(n, -np.inf)
    if liked is not None and liked.shape[0]:
        up = np.asarray((rows @ liked.T).todense() if sparse.issparse(rows)
                        else rows @ liked.T).max(axis=1).ravel()
    return (down >= min_similarity) & (down > up)
