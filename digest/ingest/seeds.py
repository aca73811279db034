"""Seed papers the readers named that Paperboy has not stored: fetched by id from arXiv's
API and stored without listing dates, so they can be embedded (and a reader's profile built
from them) but never reach an edition."""

from collections.abc import Iterable

from django.conf import settings

from digest.ingest.sources.arxiv_papers import papers_fetch
from digest.ingest.sources.http import build_client
from digest.ingest.upsert import papers_upsert
from digest.models import Paper
from subscriptions.models import Subscriber


def seeds_missing(subscribers: Iterable[Subscriber] | None = None) -> list[str]:
    """The arXiv ids readers named as seed papers that no Paper row holds."""
    readers = Subscriber.objects.exclude(seed_papers="") if subscribers is None else subscribers
    named = {arxiv_id for reader in readers for arxiv_id in reader.seed_ids}
    stored = set(Paper.objects.filter(arxiv_id__in=named).values_list("arxiv_id", flat=True))
    return sorted(named - stored)


def seeds_ingest(arxiv_ids: list[str]) -> list[str]:
    """Fetch and store these papers; returns the ids stored (arXiv may not know some)."""
    if not arxiv_ids:
        return []
    with build_client(site_url=settings.SITE_URL, max_connections=1) as client:
        listing = papers_fetch(client, arxiv_ids)
    papers_upsert(records=listing.records)
    return [record.arxiv_id for record in listing.records]
