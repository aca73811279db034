"""The plain record every source produces, and the errors sources raise.

A field left as None means "this source does not know", so merging a Hugging Face
record and an arXiv record of the same paper keeps what each one knows.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

# New-style ids (2508.13426) and old-style ones (hep-th/9901001), without the version.
ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7}")


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
