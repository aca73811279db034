"""Listings saved to disk: an HF daily_papers JSON array or an arXiv Atom feed.

Which of the two a file holds is told by its content, not its name.
"""

import dataclasses
from pathlib import Path

from digest.ingest.sources import arxiv, hf_daily
from digest.ingest.sources.records import Listing, SourceError, listing_checked


def parse_listing_bytes(content: bytes, *, origin: str) -> Listing:
    """The file's listing; a skipped item's line names the file it came from."""
    start = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    try:
        if start in (b"[", b"{"):
            items = hf_daily.decode_json(content, origin=origin)
            listing = listing_checked(hf_daily.parse_listing(items), origin=origin)
        elif start == b"<":
            listing = arxiv.parse_feed(content, origin=origin)
        else:
            listing = None
    except SourceError as error:
        message = str(error)
        if not message.startswith(origin):
            message = f"{origin}: {message}"
        raise SourceError(message) from None
    if listing is None:
        raise SourceError(f"{origin}: neither a daily_papers JSON array nor an Atom feed")
    name = Path(origin).name
    return dataclasses.replace(listing, skipped=[f"{name} {line}" for line in listing.skipped])


def read_listing_file(path: Path) -> Listing:
    try:
        content = path.read_bytes()
    except OSError as error:
        raise SourceError(f"cannot read {path}: {error.strerror}") from None
    return parse_listing_bytes(content, origin=str(path))
