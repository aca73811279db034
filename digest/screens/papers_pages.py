"""The public papers pages: the archive's index of days, a day's papers (the latest at
/papers/), and a paper's own page."""

import re
from datetime import date

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from digest.ingest.sources.records import is_arxiv_id
from digest.screens.archive import (
    archive_days,
    day_neighbours,
    paper_by_arxiv_id,
    paper_latest_day,
    papers_announced_on,
    papers_featured_on,
)
from digest.screens.cards import paper_card

ARXIV_PER_PAGE = 100  # arXiv announces 600 to 1,500 papers a weekday
VERSIONED = re.compile(r"(?P<id>.+)v\d+")


def _cards(papers) -> list:
    return [paper_card(paper)
            for paper in papers]


def _day_page(request, day: date | None, *, latest: bool = False):
    if day is None:
        return render(request, "digest/papers_of_day.html", {"day": None, "latest": latest})
    arxiv_page = Paginator(papers_announced_on(day=day), ARXIV_PER_PAGE).get_page(
        request.GET.get("page"))
    earlier, later = day_neighbours(day=day)
    return render(request, "digest/papers_of_day.html", {
        "day": day, "latest": latest, "earlier": earlier, "later": later,
        "featured": _cards(papers_featured_on(day=day)),
        "arxiv_page": arxiv_page, "announced": _cards(arxiv_page.object_list),
    })


@require_GET
def latest_papers(request):
    return _day_page(request, paper_latest_day(), latest=True)


@require_GET
def papers_of_day(request, day: str):
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise Http404("Not a date: the archive's days read YYYY-MM-DD.") from None
    return _day_page(request, parsed)


@require_GET
def archive(request):
    return render(request, "digest/archive.html", {"days": archive_days()})


@require_GET
def paper_page(request, arxiv_id: str):
    versioned = VERSIONED.fullmatch(arxiv_id)
    if versioned and is_arxiv_id(versioned["id"]):
        return redirect("paper", versioned["id"], permanent=True)
    paper = paper_by_arxiv_id(arxiv_id) if is_arxiv_id(arxiv_id) else None
    if paper is None:
        raise Http404("No paper with that arXiv id here.")
    return render(request, "digest/paper.html", {"card": _cards([paper])[0]})
