"""TF-IDF features of papers (title + abstract), fitted on a window of recent papers, and
how a reader's own words (a description, keyword lines) become a vector in the same space.

Two views of the same fit:
- `tfidf`: the sparse, L2-normalised TF-IDF rows (the classic baseline's features);
- `reduced`: those rows projected on the window's top singular directions (LSA), a small
  dense vector that can sit beside the MiniLM embedding in the hybrid and be bulk-scored
  with one matrix product (a sparse vocabulary-sized reader vector cannot).

Both depend on the fit (vocabulary, IDF, directions): a reader vector made in one fit is
meaningless in another, so a fit is versioned with the vectors made in it.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

if TYPE_CHECKING:  # scikit-learn loads in about a second: only where a space is fitted
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

REDUCED_DIMS = 128  # at most; a small window gets fewer (see fit)

# The filter language's syntax (docs/filters.md) that is not words: field prefixes,
# OR between terms, a trailing * on a prefix, quotes; a term with a leading - is excluded.
_FIELD = re.compile(r"^(title|author|cat):", re.IGNORECASE)


def keyword_lines_text(lines: Iterable[str]) -> str:
    """Keyword lines as plain words, for readers whose only stated interest is lines:
    `explainab* OR "feature attribution"` -> `explainab feature attribution`. Excluded terms,
    author: and cat: terms say nothing about a paper's content, so they are dropped."""
    words = []
    for line in lines:
        for term in re.findall(r'-?(?:\w+:)?"[^"]*"|\S+', line):
            if term == "OR" or term.startswith("-"):
                continue
            field = _FIELD.match(term)
            if field and field.group(1).lower() in ("author", "cat"):
                continue
            words.append(_FIELD.sub("", term).strip('"').rstrip("*"))
    return " ".join(w for w in words if w)


@dataclass
class TextFeatures:
    vectorizer: "TfidfVectorizer"
    svd: "TruncatedSVD | None"

    @classmethod
    def fit(cls, texts: Sequence[str], reduced_dims: int = REDUCED_DIMS,
            min_df: int = 1, seed: int = 0) -> "TextFeatures":
        """Fit on the window's paper texts. Sublinear TF and English stop words; unigrams
        (bigrams did not help on the evaluation set). The LSA keeps at most a quarter of
        the window's size in dimensions, so a small window is not reproduced exactly;
        reduced_dims=0 fits no LSA."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=min_df,
                                     dtype=np.float32)
        matrix = vectorizer.fit_transform(texts)
        dims = min(reduced_dims, matrix.shape[0] // 4, matrix.shape[1] - 1)
        svd = TruncatedSVD(dims, random_state=seed).fit(matrix) if dims >= 2 else None
        return cls(vectorizer, svd)

    def tfidf(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """L2-normalised TF-IDF rows (a text with no known word is a zero row)."""
        return self.vectorizer.transform(texts)

    def reduced(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length LSA rows, float32 (n, dims)."""
        if self.svd is None:
            raise ValueError("the window was too small for a reduced space")
        return unit_rows(self.svd.transform(self.tfidf(texts)))

    @property
    def reduced_dims(self) -> int:
        return 0 if self.svd is None else self.svd.n_components


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero), float32: what scikit-learn's
    normalize does, without its argument checks, which cost a refit ~1 ms a call."""
    x = np.asarray(x, np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1)
