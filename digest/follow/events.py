"""What changed on a followed paper, noticed as ingestion rewrites it: code released, a new
arXiv version, an upvote milestone, a project page. Each change is stored once (unique per
paper, kind and value), so an unchanged re-ingest, or a listing that repeats a change,
adds nothing."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from digest.models import Follow, Paper, PaperEvent

UPVOTE_MILESTONES = (10, 50, 100, 250)


@dataclass(frozen=True)
class Watched:
    """What of a paper its followers hear about."""

    github_repo: str
    project_page: str
    arxiv_version: int
    upvotes: int

    @classmethod
    def of(cls, paper: Paper) -> "Watched":
        return cls(github_repo=paper.github_repo, project_page=paper.project_page,
                   arxiv_version=paper.arxiv_version, upvotes=paper.upvotes)


def changes_between(before: Watched, after: Watched) -> list[tuple[str, str]]:
    """(kind, value) of each change worth telling: a repository or a project page that
    appears, a higher version, the highest upvote milestone passed (a paper that jumps from
    8 to 120 upvotes is news once, at 100, not three times)."""
    found = []
    if after.github_repo and not before.github_repo:
        found.append((PaperEvent.Kind.CODE, after.github_repo))
    if after.arxiv_version > before.arxiv_version:
        found.append((PaperEvent.Kind.VERSION, str(after.arxiv_version)))
    passed = [m for m in UPVOTE_MILESTONES if before.upvotes < m <= after.upvotes]
    if passed:
        found.append((PaperEvent.Kind.UPVOTES, str(passed[-1])))
    if after.project_page and not before.project_page:
        found.append((PaperEvent.Kind.PROJECT_PAGE, after.project_page))
    return found


def followed_as_they_are(papers: Iterable[Paper]) -> dict[int, Watched]:
    """The followed ones among these stored papers, as they are before ingestion changes
    them (one query). Papers nobody follows are not watched: nobody is to be told."""
    by_id = {paper.pk: paper for paper in papers}
    followed = Follow.objects.filter(paper_id__in=list(by_id)).values_list("paper_id", flat=True)
    return {paper_id: Watched.of(by_id[paper_id]) for paper_id in set(followed)}


def paper_events_record(*, before: dict[int, Watched], papers: Iterable[Paper],
                        now: datetime) -> list[PaperEvent]:
    """Store what changed on each watched paper between `before` and now (`papers`, as
    ingestion left them); a change already stored keeps its first notice."""
    events = [PaperEvent(paper_id=paper.pk, kind=kind, value=value, noticed_at=now)
              for paper in papers if paper.pk in before
              for kind, value in changes_between(before[paper.pk], Watched.of(paper))]
    PaperEvent.objects.bulk_create(events, ignore_conflicts=True)
    return events
