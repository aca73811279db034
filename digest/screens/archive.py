"""What the archive pages show: the papers of a day, the latest day with papers."""

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


def papers_featured_on(*, day: date) -> QuerySet[Paper]:
    return Paper.objects.filter(featured_on=day).order_by("-upvotes", "arxiv_id")
