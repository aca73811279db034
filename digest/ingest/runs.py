"""One fetch of one source, recorded as an IngestRun: what was asked, what it changed, what
was skipped, or why it failed (a failed fetch writes no papers)."""

import time
from collections.abc import Callable, Iterable
from datetime import date

import httpx
from django.utils import timezone

from digest.backoff import RetryPolicy
from digest.ingest.sources import arxiv, hf_daily
from digest.ingest.sources.http import DEFAULT_RETRIES
from digest.ingest.sources.records import Listing, SourceError
from digest.ingest.upsert import papers_upsert
from digest.models import IngestRun

MAX_SKIP_REASONS = 100


def ingest(*, source: str, request: dict, fetch: Callable[[], Listing]) -> IngestRun:
    """Run one fetch and record it. A failure leaves a failed run, a reason, and no papers."""
    run = IngestRun.objects.create(source=source, request=request)
    try:
        listing = fetch()
        counts = papers_upsert(records=listing.records, bumps=listing.bumps)
    except SourceError as error:
        run.status, run.error = IngestRun.Status.FAILED, str(error)
    except Exception as error:  # recorded for the operator, then re-raised for the logs
        first_line = (str(error).strip().splitlines() or [""])[0]
        run.status, run.error = IngestRun.Status.FAILED, f"{type(error).__name__}: {first_line}"
        run.finished_at = timezone.now()
        run.save()
        raise
    else:
        run.status = IngestRun.Status.SUCCEEDED
        run.created, run.updated, run.unchanged = counts.created, counts.updated, counts.unchanged
        run.skipped, run.skip_reasons = len(listing.skipped), skip_reasons(listing.skipped)
    run.finished_at = timezone.now()
    run.save()
    return run


def skip_reasons(lines: list[str]) -> str:
    """The skipped items' lines, as many as an operator reads (the count says the rest)."""
    shown = [" ".join(line.split())[:300] for line in lines[:MAX_SKIP_REASONS]]
    more = len(lines) - len(shown)
    return "\n".join(shown + ([f"... and {more} more"] if more else []))


def ingest_hf(*, client: httpx.Client, day: date | None = None, week: str | None = None,
              trending: bool = False, sleep: Callable[[float], None] = time.sleep,
              retries: RetryPolicy = DEFAULT_RETRIES) -> IngestRun:
    """One HF day, ISO week or the trending list."""
    request = {"date": day.isoformat()} if day else {"week": week} if week else {"trending": True}

    def fetch() -> Listing:
        return hf_daily.fetch_listing(client, day=day, week=week, trending=trending,
                                      sleep=sleep, retries=retries)

    return ingest(source=IngestRun.Source.HF, request=request, fetch=fetch)


def ingest_arxiv(*, feed: arxiv.ArxivFeed, categories: list[str],
                 keep: Iterable[str] = arxiv.KEEP_DEFAULT) -> IngestRun:
    keep = tuple(keep)
    return ingest(
        source=IngestRun.Source.ARXIV,
        request={"categories": categories, "keep": list(keep)},
        fetch=lambda: feed.fetch(categories, keep=keep),
    )


def ingest_listings(*, listings: dict[str, Listing]) -> IngestRun:
    """Listings already read (from files): one run for all of them."""
    return ingest(
        source=IngestRun.Source.FILE,
        request={"files": list(listings)},
        fetch=lambda: Listing(
            records=[r for listing in listings.values() for r in listing.records],
            bumps=[b for listing in listings.values() for b in listing.bumps],
            skipped=[s for listing in listings.values() for s in listing.skipped],
        ),
    )
