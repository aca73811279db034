"""Hugging Face Daily Papers: GET /api/daily_papers, a JSON array of featured papers."""

import json
import math
import time
from collections.abc import Callable
from datetime import date, datetime

import httpx

from digest.backoff import RetryPolicy
from digest.ingest.sources.http import DEFAULT_RETRIES, get_with_retries
from digest.ingest.sources.records import (
    Listing,
    PaperRecord,
    SourceError,
    clean_text,
    is_arxiv_id,
    listing_checked,
    record_problem,
    web_url,
)

API_URL = "https://huggingface.co/api/daily_papers"
PAGE_SIZE = 100
MAX_PAGES = 50  # a day has tens of papers; a runaway paginator stops here


def fetch_listing(
    client: httpx.Client,
    *,
    day: date | None = None,
    week: str | None = None,
    trending: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    retries: RetryPolicy = DEFAULT_RETRIES,
    page_size: int = PAGE_SIZE,
) -> Listing:
    """One day, one ISO week (`2026-W47`) or the trending list, every page of it; items that
    cannot be stored are left out and reported in `skipped`."""
    params: dict[str, str | int] = {"limit": page_size}
    if day is not None:
        params["date"] = day.isoformat()
    if week is not None:
        params["week"] = week
    if trending:
        params["sort"] = "trending"
    records: list[PaperRecord] = []
    skipped: list[str] = []
    seen = 0
    for page in range(MAX_PAGES):
        response = get_with_retries(client, API_URL, params={**params, "p": page}, sleep=sleep,
                                     retries=retries)
        items = decode_json(response.content, origin=str(response.url))
        listing = parse_listing(items, first_position=seen + 1)
        records.extend(listing.records)
        skipped.extend(listing.skipped)
        seen += len(items)
        if len(items) < page_size:
            break
    return listing_checked(Listing(records=records, skipped=skipped), origin=API_URL)


def decode_json(content: bytes, *, origin: str) -> list:
    try:
        data = json.loads(content)
    except (ValueError, RecursionError) as error:  # bad bytes or syntax, a 5,000-digit number,
        # arrays nested thousands deep
        raise SourceError(f"{origin}: not valid JSON ({error})") from None
    if not isinstance(data, list):
        raise SourceError(f"{origin}: expected a JSON array of papers, got {type(data).__name__}")
    return data


def parse_listing(items: list, *, first_position: int = 1) -> Listing:
    """Turn a daily_papers array into records. An item that is malformed, or that the
    database could not store, is left out with one line saying which and why: one bad item
    does not cost the day's other papers."""
    records, skipped = [], []
    for position, item in enumerate(items, start=first_position):
        try:
            record = parse_item(item, position=position)
        except SourceError as error:
            skipped.append(str(error))
            continue
        problem = record_problem(record)
        if problem:
            skipped.append(f"item {position} ({clean_text(record.arxiv_id)[:40]}): {problem}")
        else:
            records.append(record)
    return Listing(records=records, skipped=skipped)


def parse_item(item: object, *, position: int) -> PaperRecord:
    if not isinstance(item, dict) or not isinstance(item.get("paper"), dict):
        raise SourceError(f"item {position}: has no 'paper' object")
    paper = item["paper"]
    arxiv_id = paper.get("id")
    if not is_arxiv_id(arxiv_id):
        shown = repr(arxiv_id)[:40]  # the reason is one short line, whatever the id holds
        raise SourceError(f"item {position}: paper.id {shown} is not an arXiv id")
    title = clean_text(paper.get("title") or item.get("title"))
    if not title:
        raise SourceError(f"item {position} ({arxiv_id}): has no title")
    organization = paper.get("organization") or item.get("organization") or {}
    return PaperRecord(
        arxiv_id=arxiv_id,
        title=title,
        # Title, abstract and authors are arXiv's too: None where HF is silent keeps arXiv's.
        abstract=(paper.get("summary") or item.get("summary") or "").strip() or None,
        authors=tuple(
            clean_text(author.get("name"))
            for author in paper.get("authors") or []
            if isinstance(author, dict) and author.get("name") and not author.get("hidden")
        ) or None,
        featured_on=parse_day(paper.get("submittedOnDailyAt"), position=position),
        published_at=parse_timestamp(paper.get("publishedAt"), position=position),
        upvotes=as_count(paper.get("upvotes")),
        num_comments=as_count(item.get("numComments")),
        ai_summary=clean_text(paper.get("ai_summary")),
        ai_keywords=tuple(
            clean_text(word) for word in paper.get("ai_keywords") or []
            if isinstance(word, str) and word.strip()
        ),
        github_repo=web_url(paper.get("githubRepo")),
        github_stars=as_count(paper.get("githubStars"), default=None),
        project_page=web_url(paper.get("projectPage")),
        organization=clean_text(
            organization.get("fullname") or organization.get("name")
            if isinstance(organization, dict) else ""
        ),
        thumbnail=web_url(item.get("thumbnail")),
    )


def parse_timestamp(value: object, *, position: int) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise SourceError(f"item {position}: {repr(value)[:40]} is not a timestamp") from None


def parse_day(value: object, *, position: int) -> date | None:
    moment = parse_timestamp(value, position=position)
    return moment.date() if moment else None


def as_count(value: object, *, default: int | None = 0) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return default
    if isinstance(value, float) and not math.isfinite(value):  # JSON's Infinity, NaN
        return default
    return int(value)
