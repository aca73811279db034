"""Records from the sources into Paper rows: merged by arXiv id, written in bulk, all or
nothing, idempotent (an unchanged record changes nothing)."""

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from digest.follow.events import followed_as_they_are, paper_events_record
from digest.ingest.sources.records import PaperRecord, VersionBump
from digest.models import Paper

BATCH_SIZE = 500


RECORD_FIELDS = [f.name for f in dataclasses.fields(PaperRecord) if f.name != "arxiv_id"]


# Stored as JSON lists; records carry tuples.
LIST_FIELDS = {"authors", "categories", "ai_keywords"}


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: "UpsertCounts") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


def record_merge(records: Iterable[PaperRecord]) -> dict[str, PaperRecord]:
    """One record per arXiv id; a later record fills in what the earlier one did not know."""
    merged: dict[str, PaperRecord] = {}
    for record in records:
        earlier = merged.get(record.arxiv_id)
        if earlier is None:
            merged[record.arxiv_id] = record
        else:
            known = {k: v for k, v in dataclasses.asdict(record).items() if v is not None}
            merged[record.arxiv_id] = dataclasses.replace(earlier, **known)
    return merged


def _known_values(record: PaperRecord) -> dict:
    values = {}
    for name in RECORD_FIELDS:
        value = getattr(record, name)
        if value is None:
            continue
        values[name] = list(value) if name in LIST_FIELDS else value
    return values


def _apply(paper: Paper, values: dict) -> bool:
    changed = False
    for name, value in values.items():
        # Categories from different sources add up; a version never goes back.
        if name == "categories":
            value = paper.categories + [c for c in value if c not in paper.categories]
        if name == "arxiv_version":
            value = max(value, paper.arxiv_version)
        if getattr(paper, name) != value:
            setattr(paper, name, value)
            changed = True
    return changed


def papers_upsert(*, records: Iterable[PaperRecord], bumps: Iterable[VersionBump] = ()
                  ) -> UpsertCounts:
    """Write records in bulk: one SELECT, one INSERT and one UPDATE per batch, all or nothing."""
    merged = record_merge(records)
    bump_versions = {}
    for bump in bumps:
        bump_versions[bump.arxiv_id] = max(bump.version, bump_versions.get(bump.arxiv_id, 0))
    try:
        return _upsert(merged, bump_versions)
    except IntegrityError:
        # Another ingest created some of these papers between our read and our write:
        # read again, and they are updates now.
        return _upsert(merged, bump_versions)


@transaction.atomic
def _upsert(merged: dict[str, PaperRecord], bump_versions: dict[str, int]) -> UpsertCounts:
    counts = UpsertCounts()
    ids = sorted(set(merged) | set(bump_versions))
    now = timezone.now()
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start:start + BATCH_SIZE]
        existing = Paper.objects.in_bulk(batch, field_name="arxiv_id")
        followed = followed_as_they_are(existing.values())
        to_create, to_update, touched_fields = [], [], set()
        for arxiv_id in batch:
            values = _known_values(merged[arxiv_id]) if arxiv_id in merged else {}
            if arxiv_id in bump_versions:
                values["arxiv_version"] = max(bump_versions[arxiv_id],
                                              values.get("arxiv_version") or 0)
            paper = existing.get(arxiv_id)
            if paper is None:
                if arxiv_id not in merged:
                    continue  # a new version of a paper we never stored: nothing to bump
                paper = Paper(arxiv_id=arxiv_id)
                _apply(paper, values)
                to_create.append(paper)
            elif _apply(paper, values):
                paper.updated_at = now
                to_update.append(paper)
                touched_fields.update(values)
            else:
                counts.unchanged += 1
        Paper.objects.bulk_create(to_create)
        if to_update:
            Paper.objects.bulk_update(to_update, sorted(touched_fields | {"updated_at"}))
            paper_events_record(before=followed, papers=to_update, now=now)
        counts.created += len(to_create)
        counts.updated += len(to_update)
    return counts
