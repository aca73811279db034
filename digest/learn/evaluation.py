"""The learned ranking measured on the labelled evaluation set (tests/data/eval/README.md):
editions replayed day by day for simulated readers, one per topic and way of stating it, who
click "More like this" on every relevant paper they were sent and "Less like this" on the
others. No database: the papers come from the set's files, and the service's own pieces do
the rest (the week's Space, fit_scorer, sinks, build_digest, the filter matcher).

Readers of a topic: `description` (its description, nothing else), `seeds` (its 4 seed papers
of the first week) and `lines` (its keyword lines: a reader whose learning turns on with their
first vote, as in the service). Methods:
- `keywords`: the keyword lines through the filter matcher, alone (the `lines` reader only);
- `tfidf_rocchio`: the service's digest with a sparse TF-IDF space and a Rocchio profile;
- `shipped`: the service's digest with its space (TF-IDF LSA + MiniLM) and profile (SHIPPED).

Editions run from the second week: the space in force on a day is fitted, as the service
fits it (digest.learn.store.space_for), on the papers of the four weeks before that week's
Monday, so the first week is the history. An edition carries the day's papers, at most
`limit` of them (the service's default papers_per_email); an empty one is no mail and does
not count in precision (mean over the mails of relevant sent / sent). Recall is relevant
papers sent / relevant papers listed in the editions.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from digest.learn.embedding import MiniLM, from_float16_bytes, paper_text, to_float16_bytes
from digest.learn.profiles import (
    HYBRID,
    TFIDF_ONLY,
    Evidence,
    ProfileConfig,
    Space,
    SpaceConfig,
    fit_scorer,
    sinks,
)
from digest.learn.ranking import build_digest
from digest.learn.reader_models import SHIPPED
from digest.learn.store import SPACE_WEEKS, space_week
from digest.learn.text_features import keyword_lines_text
from digest.match.index import PaperDoc, PaperIndex
from digest.match.matching import match_few
from digest.match.readers import Reader

KEYWORDS, TFIDF_ROCCHIO, SHIPPED_MODEL = "keywords", "tfidf_rocchio", "shipped"
METHODS = {KEYWORDS: "keyword filters alone", TFIDF_ROCCHIO: "TF-IDF + Rocchio",
           SHIPPED_MODEL: "shipped model (TF-IDF LSA + MiniLM)"}
DESCRIPTION, SEEDS, LINES = "description", "seeds", "lines"
READER_KINDS = (DESCRIPTION, SEEDS, LINES)
LIMIT = 10  # subscriptions.models.Subscriber.papers_per_email's default
ROCCHIO = ProfileConfig(learn=False)


@dataclass(frozen=True)
class EvalPaper:
    key: int  # its line in papers.jsonl
    arxiv_id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    day: date
    topics: frozenset[str]  # the labels: only the simulated reader reads them

    @property
    def text(self) -> str:
        return paper_text(self.title, self.abstract)

    @property
    def doc(self) -> PaperDoc:
        return PaperDoc(key=self.key, title=self.title, abstract=self.abstract,
                        authors=self.authors, categories=self.categories, day=self.day)


@dataclass(frozen=True)
class EvalTopic:
    slug: str
    name: str
    description: str
    keyword_lines: tuple[str, ...]
    seed_papers: tuple[str, ...]


@dataclass(frozen=True)
class EvalSet:
    papers: list[EvalPaper]
    topics: dict[str, EvalTopic]

    @property
    def days(self) -> list[date]:
        return sorted({paper.day for paper in self.papers})


def eval_set_load(*, directory: Path) -> EvalSet:
    """papers.jsonl and topics.json of the evaluation set."""
    papers = []
    with open(directory / "papers.jsonl", encoding="utf-8") as lines:
        for key, line in enumerate(lines):
            row = json.loads(line)
            papers.append(EvalPaper(
                key=key, arxiv_id=row["id"], title=row["title"], abstract=row["abstract"],
                authors=tuple(row["authors"]), categories=tuple(row["categories"]),
                day=date.fromisoformat(row["day"]), topics=frozenset(row["topics"])))
    topics = {slug: EvalTopic(slug=slug, name=row["name"], description=row["description"],
                              keyword_lines=tuple(row["keyword_lines"]),
                              seed_papers=tuple(row["seed_papers"]))
              for slug, row in json.loads((directory / "topics.json").read_text()).items()}
    return EvalSet(papers=papers, topics=topics)


def reader_words(*, topic: EvalTopic, kind: str) -> str:
    """What the reader's profile reads as their own words (reader_models.readers_inputs):
    the description, else their lines' words; a seed-only reader has none."""
    if kind == DESCRIPTION:
        return topic.description
    if kind == LINES:
        return keyword_lines_text(topic.keyword_lines)
    return ""


def texts_embed(*, texts: Sequence[str], max_tokens: int, cache_dir: Path | None) -> np.ndarray:
    """MiniLM vectors of the texts, as the service stores them (float16), read from a file
    in `cache_dir` when this model length has embedded these very texts before."""
    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    path = cache_dir / f"eval-embeddings-{max_tokens}-{digest}.f16" if cache_dir else None
    if path is not None and path.exists():
        return from_float16_bytes(path.read_bytes())
    stored = to_float16_bytes(MiniLM(max_tokens).encode(list(texts)))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(stored)
    return from_float16_bytes(stored)


@dataclass
class Tally:
    """One method's editions for one reader (or a group of readers)."""

    editions: int = 0
    precisions: list[float] = field(default_factory=list)  # one per mail (non-empty edition)
    sent: int = 0
    relevant_sent: int = 0
    relevant_listed: int = 0

    def add(self, other: "Tally") -> None:
        self.editions += other.editions
        self.precisions += other.precisions
        self.sent += other.sent
        self.relevant_sent += other.relevant_sent
        self.relevant_listed += other.relevant_listed

    @property
    def mails(self) -> int:
        return len(self.precisions)

    @property
    def precision(self) -> float | None:
        return float(np.mean(self.precisions)) if self.precisions else None

    @property
    def recall(self) -> float | None:
        return self.relevant_sent / self.relevant_listed if self.relevant_listed else None


@dataclass
class WeekFeatures:
    """A method's space for one week, every paper's rows in it, and the window's rows."""

    space: Space
    rows: object  # all papers' rows, by key
    window: object
    words: dict[str, object] = field(default_factory=dict)  # a reader's words -> their row


class Replay:
    """The evaluation set with its vectors, and each week's spaces (fitted once per method)."""

    def __init__(self, evaluation: EvalSet, *, max_tokens: int, cache_dir: Path | None,
                 limit: int = LIMIT):
        self.set, self.limit = evaluation, limit
        words = sorted({reader_words(topic=topic, kind=kind)
                        for topic in evaluation.topics.values() for kind in READER_KINDS} - {""})
        texts = [paper.text for paper in evaluation.papers]
        vectors = texts_embed(texts=texts + words, max_tokens=max_tokens, cache_dir=cache_dir)
        self.vectors = vectors[:len(texts)]
        self.word_vectors = dict(zip(words, vectors[len(texts):], strict=True))
        self.by_arxiv_id = {paper.arxiv_id: paper for paper in evaluation.papers}
        self.by_day: dict[date, list[EvalPaper]] = defaultdict(list)
        for paper in evaluation.papers:
            self.by_day[paper.day].append(paper)
        first_week = space_week(evaluation.days[0])
        self.editions = [day for day in evaluation.days if space_week(day) > first_week]
        self._weeks: dict[tuple[str, date], WeekFeatures] = {}
        self._matched: dict[tuple[str, date], list[int]] = {}

    def week(self, method: str, day: date) -> WeekFeatures:
        """The method's space in force on `day`: fitted on the four weeks before its Monday."""
        monday = space_week(day)
        if (method, monday) not in self._weeks:
            since = monday - timedelta(weeks=SPACE_WEEKS)
            window = [p.key for p in self.set.papers if since <= p.day < monday]
            config: SpaceConfig = TFIDF_ONLY if method == TFIDF_ROCCHIO else HYBRID
            texts = [paper.text for paper in self.set.papers]
            space = Space.fit(config, [texts[k] for k in window], self.vectors[window])
            rows = space.rows(texts, self.vectors)
            self._weeks[method, monday] = WeekFeatures(space, rows, rows[window])
        return self._weeks[method, monday]

    def word_row(self, week: WeekFeatures, words: str):
        if words not in week.words:
            week.words[words] = week.space.rows([words], self.word_vectors[words][None])
        return week.words[words]

    def matched(self, topic: EvalTopic, day: date) -> list[int]:
        """The papers of the day the topic's lines match, the matcher's best `limit`."""
        if (topic.slug, day) not in self._matched:
            index = PaperIndex([paper.doc for paper in self.by_day[day]])
            reader = Reader(key=0, lines=topic.keyword_lines, limit=self.limit)
            self._matched[topic.slug, day] = match_few([reader], index,
                                                       topics={}).paper_keys(0)
        return self._matched[topic.slug, day]

    def digest(self, method: str, *, topic: EvalTopic, kind: str, day: date,
               up: list[int], down: list[int]) -> list[int]:
        """What the reader is sent on `day` (paper keys, in digest order)."""
        matched = self.matched(topic, day) if kind == LINES else []
        if method == KEYWORDS:
            return matched
        seeds = [self.by_arxiv_id[a].key for a in topic.seed_papers] if kind == SEEDS else []
        words = reader_words(topic=topic, kind=kind)
        if kind == LINES and not (up or down):  # only lines, no vote yet: learning is off
            return matched
        week = self.week(method, day)

        def rows(keys: list[int]):
            return week.rows[keys] if keys else None

        evidence = Evidence(query=self.word_row(week, words) if words else None,
                            seeds=rows(seeds), up=rows(up), down=rows(down))
        scorer = fit_scorer(evidence, week.window, ROCCHIO if method == TFIDF_ROCCHIO
                            else SHIPPED)
        candidates = [paper.key for paper in self.by_day[day]]
        candidate_rows = week.rows[candidates]
        sunk = sinks(candidate_rows, evidence.liked, evidence.down) if matched else None
        items = build_digest(candidates, scorer.scores(candidate_rows), matched=matched,
                             threshold=scorer.threshold, limit=self.limit, sunk=sunk)
        return [item.paper for item in items]

    def reader_replay(self, method: str, *, topic: EvalTopic, kind: str) -> Tally:
        """One reader's editions, voting on each before the next."""
        tally, up, down = Tally(), [], []
        for day in self.editions:
            sent = self.digest(method, topic=topic, kind=kind, day=day, up=up, down=down)
            relevant = [key for key in sent if topic.slug in self.set.papers[key].topics]
            tally.editions += 1
            tally.relevant_listed += sum(topic.slug in p.topics for p in self.by_day[day])
            tally.sent += len(sent)
            tally.relevant_sent += len(relevant)
            if sent:
                tally.precisions.append(len(relevant) / len(sent))
            up += relevant
            down += [key for key in sent if key not in relevant]
        return tally


def methods_readers(method: str) -> tuple[str, ...]:
    """The reader kinds a method serves: keyword filters only have lines to go on."""
    return (LINES,) if method == KEYWORDS else READER_KINDS


def evaluation_run(*, replay: Replay, topics: Sequence[str],
                   progress: Callable[[str], None] | None = None
                   ) -> dict[tuple[str, str, str], Tally]:
    """(method, reader kind, topic slug) -> that reader's tally."""
    results = {}
    for method in METHODS:
        for kind in methods_readers(method):
            for slug in topics:
                results[method, kind, slug] = replay.reader_replay(
                    method, topic=replay.set.topics[slug], kind=kind)
            if progress:
                progress(f"{METHODS[method]}, {kind} readers")
    return results


def tallies_by(results: dict[tuple[str, str, str], Tally], *,
               key: Callable[[str, str, str], tuple]) -> dict[tuple, Tally]:
    """The readers' tallies summed into groups, e.g. per method and reader kind."""
    grouped: dict[tuple, Tally] = defaultdict(Tally)
    for (method, kind, slug), tally in results.items():
        grouped[key(method, kind, slug)].add(tally)
    return dict(grouped)
