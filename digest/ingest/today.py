"""The day's ingest, the same whether the beat's daily task or `run_daily` runs it: Hugging
Face yesterday (its upvotes keep growing) and today, then the arXiv announcement feeds.
Reads the sources and the retry policy from the settings."""

import time
from collections.abc import Callable
from datetime import date, timedelta

from django.conf import settings

from digest.backoff import RetryPolicy
from digest.ingest.runs import ingest_arxiv, ingest_hf
from digest.ingest.sources.arxiv import ArxivFeed
from digest.ingest.sources.http import build_client
from digest.models import IngestRun


def ingest_retry_policy() -> RetryPolicy:
    """How hard a run asks a source that fails (INGEST_RETRY_* settings)."""
    return RetryPolicy(attempts=settings.INGEST_RETRY_ATTEMPTS,
                       base=settings.INGEST_RETRY_BACKOFF_SECONDS,
                       maximum=settings.INGEST_RETRY_BACKOFF_MAX_SECONDS)


def ingest_today(*, today: date, sleep: Callable[[float], None] = time.sleep
                 ) -> list[IngestRun]:
    """One run per request, each recorded; a failed one does not stop the others."""
    retries = ingest_retry_policy()
    with build_client(site_url=settings.SITE_URL) as client:
        runs = [ingest_hf(client=client, day=day, sleep=sleep, retries=retries)
                for day in (today - timedelta(days=1), today)]
    with build_client(site_url=settings.SITE_URL, max_connections=1) as client:
        runs.append(ingest_arxiv(feed=ArxivFeed(client, sleep=sleep, retries=retries),
                                 categories=settings.ARXIV_CATEGORIES,
                                 keep=settings.ARXIV_ANNOUNCE_TYPES))
    return runs


def ingest_again(*, run: IngestRun) -> IngestRun | None:
    """The same request as an earlier run (an operator's re-run); None for a file's run, as
    the file was the operator's, not ours to read again."""
    retries = ingest_retry_policy()
    if run.source == IngestRun.Source.HF and "date" in run.request:
        with build_client(site_url=settings.SITE_URL) as client:
            return ingest_hf(client=client, day=date.fromisoformat(run.request["date"]),
                             retries=retries)
    if run.source == IngestRun.Source.ARXIV and "categories" in run.request:
        with build_client(site_url=settings.SITE_URL, max_connections=1) as client:
            return ingest_arxiv(feed=ArxivFeed(client, retries=retries),
                                categories=run.request["categories"],
                                keep=run.request.get("keep", settings.ARXIV_ANNOUNCE_TYPES))
    return None
