"""What the archive pages (and the archive's feed) show: the days with papers, a day's
papers, a few days' papers, a paper by id.

A paper's day is the day Hugging Face featured it or the day arXiv announced it; a paper
both announced and, later, featured is listed on both days. Every query here reads the two
indexed day columns, grouped or bounded, never the whole table's rows."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, Q, QuerySet

from digest.models import Paper

DAY_FIELDS = ("featured_on", "announced_on")


@dataclass(frozen=True)
class ArchiveDay:
    day: date
    featured: int  # featured on Hugging Face that day
    announced: int  # announced by arXiv that day, and not featured the same day

    @property
    def total(self) -> int:
        return self.featured + self.announced


def _announced_only_q() -> Q:
    """Announced on a day other than the one Hugging Face featured it (or never featured)."""
    return Q(featured_on__isnull=True) | ~Q(featured_on=F("announced_on"))


def _per_day(papers, field: str) -> dict[date, int]:
    return dict(papers.filter(**{f"{field}__isnull": False}).order_by()
                .values_list(field).annotate(n=Count("pk")))


def archive_days() -> list[ArchiveDay]:
    """Every day with papers, newest first, with how many of each source. Three counts
    grouped by day: Hugging Face's, arXiv's, and the few papers both listed the same day
    (read from the featured ones, a few dozen a day), so arXiv's thousands a day are only
    counted in their index."""
    featured = _per_day(Paper.objects, "featured_on")
    announced = _per_day(Paper.objects, "announced_on")
    both = _per_day(Paper.objects.filter(announced_on=F("featured_on")), "featured_on")
    days = sorted(featured.keys() | announced.keys(), reverse=True)
    return [ArchiveDay(day, featured.get(day, 0), announced.get(day, 0) - both.get(day, 0))
            for day in days]


def paper_latest_featured_day() -> date | None:
    return _nearest("featured_on")


def _nearest(field: str, *, before: date | None = None, after: date | None = None) -> date | None:
    """The nearest value of a day column before or after a day: one index lookup."""
    if before is not None:
        rows = Paper.objects.filter(**{f"{field}__lt": before}).order_by(f"-{field}")
    elif after is not None:
        rows = Paper.objects.filter(**{f"{field}__gt": after}).order_by(field)
    else:
        rows = Paper.objects.filter(**{f"{field}__isnull": False}).order_by(f"-{field}")
    return rows.values_list(field, flat=True).first()


def paper_latest_day() -> date | None:
    """The newest day with papers, from either source."""
    return max(filter(None, (_nearest(field) for field in DAY_FIELDS)), default=None)


def day_neighbours(*, day: date) -> tuple[date | None, date | None]:
    """The nearest day before `day` and after it that has papers (None at either end)."""
    return (max(filter(None, (_nearest(field, before=day) for field in DAY_FIELDS)),
                default=None),
            min(filter(None, (_nearest(field, after=day) for field in DAY_FIELDS)),
                default=None))


def papers_featured_between(*, since: date, until: date) -> QuerySet[Paper]:
    """Featured from `since` to `until` (both included): newest day first, and within a day
    as the archive lists it, most upvoted first."""
    return (Paper.objects.filter(featured_on__gte=since, featured_on__lte=until)
            .order_by("-featured_on", "-upvotes", "arxiv_id"))


def papers_featured_on(*, day: date) -> QuerySet[Paper]:
    """Hugging Face's papers of the day, most upvoted first."""
    return papers_featured_between(since=day, until=day)


def papers_announced_on(*, day: date) -> QuerySet[Paper]:
    """arXiv's papers of the day that Hugging Face did not feature that same day."""
    return (Paper.objects.filter(_announced_only_q(), announced_on=day)
            .order_by("arxiv_id"))


def paper_by_arxiv_id(arxiv_id: str) -> Paper | None:
    return Paper.objects.filter(arxiv_id=arxiv_id).first()
