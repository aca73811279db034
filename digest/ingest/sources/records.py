"""The plain record every source produces, and the errors sources raise.

A field left as None means "this source does not know", so merging a Hugging Face
record and an arXiv record of the same paper keeps what each one knows.
"""

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, datetime

# New-style ids (2508.13426) and old-style ones (hep-th/9901001), without the version.
ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7}")
# What a Paper row can hold (digest/models.py sizes its columns from MAX_LENGTHS): a value
# beyond these fails the database write, so an item carrying one is skipped before that.
MAX_LENGTHS = {"arxiv_id": 32, "github_repo": 500, "project_page": 500, "thumbnail": 500,
               "organization": 200, "announce_type": 16}
MAX_COUNT = 2_147_483_647  # upvotes, comments, stars: an integer column
MAX_VERSION = 32_767  # arxiv_version: a small integer column


class SourceError(Exception):
    """Input that will not become better by asking again: a bad date, a malformed listing."""


class SourceUnavailable(SourceError):
    """The source did not answer well after bounded retries; a later run may succeed."""


@dataclass(frozen=True)
class PaperRecord:
    arxiv_id: str
    title: str | None = None
    abstract: str | None = None
    authors: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    featured_on: date | None = None
    announced_on: date | None = None
    announce_type: str | None = None  # arXiv's: new, cross, replace or replace-cross
    published_at: datetime | None = None
    arxiv_version: int | None = None
    upvotes: int | None = None
    num_comments: int | None = None
    ai_summary: str | None = None
    ai_keywords: tuple[str, ...] | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    organization: str | None = None
    thumbnail: str | None = None


@dataclass(frozen=True)
class VersionBump:
    """arXiv announced a new version of a paper (announce type `replace`)."""

    arxiv_id: str
    version: int


@dataclass(frozen=True)
class Listing:
    """What one fetch brought: new or refreshed papers, and version bumps of known ones."""

    records: list[PaperRecord] = field(default_factory=list)
    bumps: list[VersionBump] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line per item left out, and why


def record_problem(record: PaperRecord) -> str | None:
    """Why this record cannot be stored as it is, or None: text PostgreSQL refuses (a NUL, a
    lone surrogate), a value longer than its column, a number beyond its column's range."""
    for name, value in ((f.name, getattr(record, f.name)) for f in dataclasses.fields(record)):
        for text in value if isinstance(value, tuple) else (value,):
            if isinstance(text, str) and (problem := text_problem(text)):
                return f"{name} {problem}"
        limit = MAX_LENGTHS.get(name)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            return f"{name} is {len(value)} characters long, more than the {limit} allowed"
        highest = MAX_VERSION if name == "arxiv_version" else MAX_COUNT
        if isinstance(value, int) and not isinstance(value, bool) and value > highest:
            return f"{name} {value} is out of range"
    return None


def text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone surrogate)"
    return None


def listing_checked(listing: Listing, *, origin: str) -> Listing:
    """A listing none of whose items could be read is a format we no longer understand, not
    a listing with a bad item: it is rejected whole, so its run fails loudly."""
    if listing.skipped and not listing.records and not listing.bumps:
        count = len(listing.skipped)
        raise SourceError(f"{origin}: none of its {count} item{'s' if count > 1 else ''} "
                          f"could be read; {listing.skipped[0]}")
    return listing


def is_arxiv_id(value: object) -> bool:
    return isinstance(value, str) and ARXIV_ID.fullmatch(value) is not None


def clean_text(value: object) -> str:
    """Collapse the line breaks and runs of spaces that feeds put inside titles."""
    return " ".join(str(value).split()) if value is not None else ""


def web_url(value: object) -> str:
    """An http(s) URL or "": anything else (javascript:, data:) never reaches a page or a mail."""
    if isinstance(value, str) and re.match(r"https?://[^\s/]+", value.strip(), re.IGNORECASE):
        return value.strip()
    return ""
