"""Single papers by arXiv id, from arXiv's API (export.arxiv.org/api/query?id_list=...):
the seed papers a reader names that Paperboy has not listed itself, so that their text can
be embedded. The answer is an Atom feed, one entry per id; an unknown id gives no entry (or
an "Error" entry), which is skipped.

arXiv asks for at most one request every 3 seconds: ids go 50 to a request, spaced so.
"""

import re
import time
from collections.abc import Callable, Sequence
from datetime import datetime

import httpx

from digest.ingest.sources.arxiv import MIN_INTERVAL, NS, atom_root
from digest.ingest.sources.http import get_with_retries
from digest.ingest.sources.records import (
    Listing,
    PaperRecord,
    clean_text,
    is_arxiv_id,
    record_problem,
)

API_URL = "https://export.arxiv.org/api/query"
IDS_PER_REQUEST = 50
ABS_ID = re.compile(r"https?://arxiv\.org/abs/(?P<id>.+?)(?:v(?P<version>\d+))?")


def papers_fetch(client: httpx.Client, arxiv_ids: Sequence[str], *,
                 sleep: Callable[[float], None] | None = None) -> Listing:
    """The papers of these ids that arXiv knows, as records without listing dates (a seed
    paper is not news: it must never reach an edition)."""
    sleep = sleep or time.sleep
    records, skipped = [], []
    ids = list(dict.fromkeys(arxiv_ids))
    for start in range(0, len(ids), IDS_PER_REQUEST):
        if start:
            sleep(MIN_INTERVAL)
        batch = ids[start:start + IDS_PER_REQUEST]
        response = get_with_retries(client, API_URL, sleep=lambda s: sleep(max(s, MIN_INTERVAL)),
                                    params={"id_list": ",".join(batch),
                                            "max_results": str(len(batch))})
        listing = parse_api_feed(response.content, origin=API_URL)
        records += listing.records
        skipped += listing.skipped
    return Listing(records=records, bumps=[], skipped=skipped)


def parse_api_feed(content: bytes, *, origin: str = "arXiv API") -> Listing:
    root = atom_root(content, origin=origin)
    records, skipped = [], []
    for position, entry in enumerate(root.findall("atom:entry", NS), start=1):
        found = ABS_ID.fullmatch((entry.findtext("atom:id", "", NS) or "").strip())
        if found is None or not is_arxiv_id(found["id"]):
            skipped.append(f"entry {position}: not a paper (an unknown id?)")
            continue
        title = clean_text(entry.findtext("atom:title", "", NS))
        published = (entry.findtext("atom:published", "", NS) or "").strip()
        try:
            published_at = (datetime.fromisoformat(published.replace("Z", "+00:00"))
                            if published else None)
        except ValueError:
            published_at = None
        record = PaperRecord(
            arxiv_id=found["id"],
            arxiv_version=int(found["version"]) if found["version"] else None,
            title=title,
            abstract=clean_text(entry.findtext("atom:summary", "", NS)),
            authors=tuple(clean_text(a.findtext("atom:name", "", NS))
                          for a in entry.findall("atom:author", NS)),
            categories=tuple(c.get("term") for c in entry.findall("atom:category", NS)
                             if c.get("term")),
            published_at=published_at,
        )
        problem = record_problem(record) if title else "has no title"
        if problem:
            skipped.append(f"entry {position} ({found['id']}): {problem}")
        else:
            records.append(record)
    return Listing(records=records, bumps=[], skipped=skipped)
