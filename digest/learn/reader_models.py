"""Each reader's learned profile: their own words, their seed papers and their votes, as a
scorer in the week's feature space (digest.learn.profiles), stored in ReaderProfile and
refit when any of them changes (a hash of them says so) or a new week's space comes.

Learning is on for a reader who gave a description or seed papers, or has voted; a reader
with only topics and lines who never voted gets their filters' digest as before."""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from digest.learn.embedding import from_float16_bytes, to_float16_bytes
from digest.learn.profiles import Evidence, ProfileConfig, Scorer, fit_scorer
from digest.learn.store import WeekSpace, paper_set, recent_rows, space_for, text_embed
from digest.learn.text_features import keyword_lines_text
from digest.memo import BoundedCache
from digest.models import Paper, ReaderProfile, Vote
from subscriptions.filters import reader_lines
from subscriptions.models import Subscriber

SHIPPED = ProfileConfig()


@dataclass
class ReaderInputs:
    """What a reader gave the model: their words, seed papers (arXiv ids) and votes."""

    key: int
    description: str = ""
    words: str = ""  # the description, else their topics' and lines' words
    seeds: list[str] = field(default_factory=list)
    up: list[str] = field(default_factory=list)  # arXiv ids voted "More like this"
    down: list[str] = field(default_factory=list)
    recommendations: bool = True

    @property
    def learning(self) -> bool:
        return bool(self.description or self.seeds or self.up or self.down)

    @property
    def words_hash(self) -> str:
        return hashlib.sha256(self.words.encode()).hexdigest()

    @property
    def inputs_hash(self) -> str:
        """Changes whenever the profile must be refit: words, seeds, votes."""
        state = json.dumps([self.words, self.seeds, sorted(self.up), sorted(self.down)])
        return hashlib.sha256(state.encode()).hexdigest()


def learning_readers(subscribers: QuerySet[Subscriber]) -> QuerySet[Subscriber]:
    """Those of `subscribers` with learning on: a description, seed papers or a vote."""
    voted = Vote.objects.filter(subscriber=OuterRef("pk"))
    return subscribers.filter(~Q(description="") | ~Q(seed_papers="") | Exists(voted))


def readers_inputs(subscribers: QuerySet[Subscriber]) -> dict[int, ReaderInputs]:
    """Every reader's inputs, in four queries however many readers."""
    topics = defaultdict(list)
    for pk, name, description in Subscriber.topics.through.objects.filter(
            subscriber__in=subscribers).values_list(
            "subscriber_id", "topic__name", "topic__description"):
        topics[pk].append(f"{name}. {description}")
    inputs = {}
    for pk, description, interests, authors, seeds, recommendations in subscribers.values_list(
            "pk", "description", "interests", "authors", "seed_papers", "recommendations"):
        lines = keyword_lines_text(reader_lines(interests=interests, authors=authors))
        words = description.strip() or " ".join([*topics[pk], lines]).strip()
        inputs[pk] = ReaderInputs(key=pk, description=description.strip(), words=words,
                                  seeds=seeds.split(), recommendations=recommendations)
    for pk, arxiv_id, value in Vote.objects.filter(subscriber__in=subscribers).values_list(
            "subscriber_id", "paper__arxiv_id", "value"):
        (inputs[pk].up if value > 0 else inputs[pk].down).append(arxiv_id)
    return inputs


@dataclass(frozen=True)
class ReaderScorer:
    """A fitted reader, as a batch scores with it."""

    key: int
    weights: np.ndarray  # float32 (d,)
    bias: float
    threshold: float
    liked: list[str]  # arXiv ids of the seed and upvoted papers (why a recommendation)
    disliked: list[str]
    recommendations: bool

    def scores(self, rows) -> np.ndarray:
        return np.asarray(rows @ self.weights).ravel() + self.bias


# Papers' rows in the week's space, per process: a refit after a vote reuses the rows of the
# reader's seeds and earlier votes (featurising them again was half a refit's time).
PAPER_ROWS: BoundedCache[np.ndarray] = BoundedCache(10_000)


def paper_rows(space: WeekSpace, arxiv_ids: list[str]) -> tuple[list[str], np.ndarray | None]:
    """(the ids of these papers that have an embedding, their rows in the space, in that
    order); ([], None) for none."""
    missing = [a for a in arxiv_ids if (space.week, a) not in PAPER_ROWS]
    if missing:
        papers = paper_set(Paper.objects.filter(arxiv_id__in=missing))
        if len(papers):
            rows = space.space.rows(papers.texts, papers.vectors)
            PAPER_ROWS.make_room(len(papers))
            for arxiv_id, row in zip(papers.arxiv_ids, rows, strict=True):
                PAPER_ROWS.put((space.week, arxiv_id), row)
    found = [a for a in dict.fromkeys(arxiv_ids) if (space.week, a) in PAPER_ROWS]
    if not found:
        return [], None
    return found, np.vstack([PAPER_ROWS.get((space.week, a)) for a in found])


def _fit(inputs: ReaderInputs, space: WeekSpace, text_vector: np.ndarray | None) -> Scorer:
    query = None
    if inputs.words:
        query = space.space.rows([inputs.words], text_vector[None] if text_vector is not None
                                 else np.zeros((1, 384), np.float32))
    seed_ids, seeds = paper_rows(space, inputs.seeds)
    up_ids, up = paper_rows(space, inputs.up)
    _, down = paper_rows(space, inputs.down)
    evidence = Evidence(query=query, seeds=seeds, up=up, down=down,
                        liked_ids=seed_ids + up_ids)
    return fit_scorer(evidence, space.window, SHIPPED)


def readers_scorers(inputs: dict[int, ReaderInputs], *, day: date,
                    now: datetime | None = None) -> dict[int, ReaderScorer]:
    """The scorers of the readers with learning on, refitting (and storing) those whose
    profile is stale, missing, or in last week's space."""
    learning = {key: reader for key, reader in inputs.items() if reader.learning}
    if not learning:
        return {}
    space = space_for(day)
    if space is None:
        return {}  # no paper has a vector yet: their filters' digest, as before learning
    profiles = ReaderProfile.objects.in_bulk(list(learning))
    scorers, changed = {}, []
    for key, reader in learning.items():
        profile = profiles.get(key) or ReaderProfile(subscriber_id=key)
        if (profile.inputs_hash != reader.inputs_hash or profile.space != space.week
                or not profile.weights):
            text_vector = None
            if reader.words:
                if profile.text_hash != reader.words_hash or not profile.text_embedding:
                    profile.text_embedding = text_embed(reader.words)
                    profile.text_hash = reader.words_hash
                text_vector = from_float16_bytes(bytes(profile.text_embedding))[0]
            scorer = _fit(reader, space, text_vector)
            profile.weights = to_float16_bytes(scorer.weights)
            profile.threshold, profile.kind = scorer.threshold - scorer.bias, scorer.kind
            profile.liked, profile.space = list(scorer.liked_ids), space.week
            profile.inputs_hash = reader.inputs_hash
            profile.fitted_at = now or timezone.now()
            changed.append(profile)
        scorers[key] = ReaderScorer(
            key=key, weights=from_float16_bytes(bytes(profile.weights),
                                                dim=len(bytes(profile.weights)) // 2)[0],
            bias=0.0, threshold=profile.threshold, liked=list(profile.liked),
            disliked=reader.down, recommendations=reader.recommendations)
    ReaderProfile.objects.bulk_create(
        changed, update_conflicts=True, unique_fields=["subscriber"],
        update_fields=["text_hash", "text_embedding", "space", "weights", "threshold", "kind",
                       "liked", "inputs_hash", "fitted_at"])
    return scorers


def reader_refit(*, subscriber_id: int, day: date) -> bool:
    """Refit (and store) one reader's profile if what they gave changed; False for a reader
    without learning."""
    inputs = readers_inputs(Subscriber.objects.filter(pk=subscriber_id))
    return subscriber_id in readers_scorers(inputs, day=day)


def reader_top_papers(*, subscriber: Subscriber, day: date, limit: int) -> list[Paper]:
    """What the reader's profile, refit now, ranks highest among the last week's papers they
    have not voted on: what the feedback page shows after a click."""
    inputs = readers_inputs(Subscriber.objects.filter(pk=subscriber.pk))
    scorer = readers_scorers(inputs, day=day).get(subscriber.pk)
    if scorer is None:
        return []
    voted = set(inputs[subscriber.pk].up) | set(inputs[subscriber.pk].down)
    recent = recent_rows(day)
    if not recent.keys:
        return []
    scores = scorer.scores(recent.rows)
    order = [i for i in np.argsort(-scores, kind="stable") if recent.arxiv_ids[i] not in voted]
    best = [recent.keys[i] for i in order[:limit]]
    by_key = Paper.objects.in_bulk(best)
    return [by_key[key] for key in best]
