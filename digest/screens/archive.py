"""What the archive pages (and the archive's feed) show: the papers of a day or of a few
days, the latest day with papers."""

from datetime import date

from django.db.models import QuerySet

from digest.models import Paper


def paper_latest_featured_day() -> date | None:
    return (
        Paper.objects.filter(featured_on__isnull=False)
        .order_by("-featured_on")
        .values_list("featured_on", flat=True)
        .first()
    )


def papers_featured_between(*, since: date, until: date) -> QuerySet[Paper]:
    """Featured from `since` to `until` (both included): newest day first, and within a day
    as the archive lists it, most upvoted first."""
    return (Paper.objects.filter(featured_on__gte=since, featured_on__lte=until)
            .order_by("-featured_on", "-upvotes", "arxiv_id"))


def papers_featured_on(*, day: date) -> QuerySet[Paper]:
    return papers_featured_between(since=day, until=day)
