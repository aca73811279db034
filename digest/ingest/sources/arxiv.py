"""arXiv announcement feeds: rss.arxiv.org/atom/cs.LG+cs.CL, rebuilt daily, Atom.

arXiv asks for at most one request every 3 seconds on one connection; ArxivFeed
spaces its requests accordingly (the client should allow one connection).
"""

import re
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError

import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from digest.backoff import RetryPolicy
from digest.ingest.sources.http import DEFAULT_RETRIES, get_with_retries
from digest.ingest.sources.records import (
    MAX_VERSION,
    Listing,
    PaperRecord,
    SourceError,
    VersionBump,
    clean_text,
    is_arxiv_id,
    listing_checked,
    record_problem,
)

FEED_URL = "https://rss.arxiv.org/atom/{categories}"
MIN_INTERVAL = 3.0
KEEP_DEFAULT = ("new", "cross")
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "dc": "http://purl.org/dc/elements/1.1/",
}
ENTRY_ID = re.compile(r"oai:arXiv\.org:(?P<id>.+?)(?:v(?P<version>\d+))?")
PREAMBLE = re.compile(r"^\s*arXiv:\S+\s+Announce Type:\s*\S+\s*(?:Abstract:\s*)?", re.IGNORECASE)
CATEGORY = re.compile(r"[a-z-]+(\.[A-Za-z-]+)?")


class ArxivFeed:
    """Fetches feeds no faster than arXiv's terms allow."""

    def __init__(self, client: httpx.Client, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 retries: RetryPolicy = DEFAULT_RETRIES):
        self.client = client
        self.sleep = sleep
        self.clock = clock
        self.retries = retries
        self.last_request: float | None = None

    def _spaced_sleep(self, seconds: float) -> None:
        self.sleep(max(seconds, MIN_INTERVAL))  # a retry is a request too

    def fetch(self, categories: Iterable[str], *, keep=KEEP_DEFAULT) -> Listing:
        categories = list(categories)
        bad = [c for c in categories if not CATEGORY.fullmatch(c)]
        if not categories or bad:
            raise SourceError(f"not arXiv categories: {', '.join(bad) or '(none given)'}")
        if self.last_request is not None:
            waited = self.clock() - self.last_request
            if waited < MIN_INTERVAL:
                self.sleep(MIN_INTERVAL - waited)
        url = FEED_URL.format(categories="+".join(categories))
        try:
            response = get_with_retries(self.client, url, sleep=self._spaced_sleep,
                                        retries=self.retries)
        finally:
            self.last_request = self.clock()
        return parse_feed(response.content, keep=keep, origin=url)


def atom_root(content: bytes, *, origin: str) -> Element:
    """The feed element of an Atom document (arXiv's feeds and its API answer in Atom)."""
    try:
        root = fromstring(content)
    except (ParseError, DefusedXmlException) as error:
        raise SourceError(f"{origin}: not an Atom feed ({error})") from None
    if root.tag != f"{{{NS['atom']}}}feed":
        raise SourceError(f"{origin}: not an Atom feed (root element is {root.tag})")
    return root


def parse_feed(content: bytes, *, keep=KEEP_DEFAULT, origin: str = "feed") -> Listing:
    root = atom_root(content, origin=origin)
    records, bumps, skipped = [], [], []
    for position, entry in enumerate(root.findall("atom:entry", NS), start=1):
        announce_type = (entry.findtext("arxiv:announce_type", "", NS) or "new").strip()
        if announce_type not in keep and not announce_type.startswith("replace"):
            continue
        # An entry that is malformed or that the database could not store is left out, with
        # one line saying which and why; the feed's other entries still count.
        try:
            arxiv_id, version = parse_entry_id(entry, position=position)
            if announce_type not in keep:
                bumps.append(VersionBump(arxiv_id=arxiv_id, version=version or 2))
                continue
            record = parse_entry(entry, arxiv_id=arxiv_id, version=version, position=position,
                                 announce_type=announce_type)
        except SourceError as error:
            skipped.append(str(error))
            continue
        problem = record_problem(record)
        if problem:
            skipped.append(f"entry {position} ({arxiv_id}): {problem}")
        else:
            records.append(record)
    return listing_checked(Listing(records=records, bumps=bumps, skipped=skipped), origin=origin)


def parse_entry_id(entry: Element, *, position: int) -> tuple[str, int | None]:
    raw = (entry.findtext("atom:id", "", NS) or "").strip()
    match = ENTRY_ID.fullmatch(raw)
    if not match or not is_arxiv_id(match["id"]):
        raise SourceError(f"entry {position}: {repr(raw)[:60]} is not an arXiv id")
    digits = match["version"]
    if digits and (len(digits) > len(str(MAX_VERSION)) or int(digits) > MAX_VERSION):
        raise SourceError(f"entry {position} ({match['id']}): version {digits[:10]} is out of "
                          f"range")
    return match["id"], int(digits) if digits else None


def parse_entry(entry: Element, *, arxiv_id: str, version: int | None, position: int,
                announce_type: str | None = None) -> PaperRecord:
    title = clean_text(entry.findtext("atom:title", "", NS))
    if not title:
        raise SourceError(f"entry {position} ({arxiv_id}): has no title")
    published = (entry.findtext("atom:published", "", NS) or "").strip()
    try:
        announced = datetime.fromisoformat(published.replace("Z", "+00:00")) if published else None
    except ValueError:
        raise SourceError(f"entry {position}: {published[:40]!r} is not a timestamp") from None
    return PaperRecord(
        arxiv_id=arxiv_id,
        arxiv_version=version,
        title=title,
        abstract=PREAMBLE.sub("", entry.findtext("atom:summary", "", NS) or "").strip(),
        authors=split_authors(entry.findtext("dc:creator", "", NS) or ""),
        categories=tuple(
            c.get("term") for c in entry.findall("atom:category", NS) if c.get("term")
        ),
        announced_on=announced.date() if announced else None,
        announce_type=announce_type,
    )


def split_authors(creators: str) -> tuple[str, ...]:
    """'A, B and C' -> ('A', 'B', 'C')."""
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", clean_text(creators))
    return tuple(part.strip() for part in parts if part.strip())
