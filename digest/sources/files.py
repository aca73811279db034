"""Listings saved to disk: an HF daily_papers JSON array or an arXiv Atom feed.

Which of the two a file holds is told by its content, not its name.
"""

from pathlib import Path

from digest.sources import arxiv, hf_daily
from digest.sources.records import Listing, SourceError


def parse_listing_bytes(content: bytes, *, origin: str) -> Listing:
    start = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    try:
        if start in (b"[", b"{"):
            items = hf_daily.decode_json(content, origin=origin)
            return Listing(records=hf_daily.parse_listing(items))
        if start == b"<":
            return arxiv.parse_feed(content, origin=origin)
    except SourceError as error:
        message = str(error)
        if not message.startswith(origin):
            message = f"{origin}: {message}"
        raise SourceError(message) from None
    raise SourceError(f"{origin}: neither a daily_papers JSON array nor an Atom feed")


def read_listing_file(path: Path) -> Listing:
    try:
        content = path.read_bytes()
    except OSError as error:
        raise SourceError(f"cannot read {path}: {error.strerror}") from None
    return parse_listing_bytes(content, origin=str(path))
