"""The live preview on the signup and preferences pages: how many of the last week's
papers a reader's filters would match, and the best few, through the real matcher."""

from datetime import timedelta

from django.db.models import Max

from digest.filters import FilterError, validate_interest_lines
from digest.matching import PaperIndex, Reader, compile_readers, match
from digest.models import Paper
from digest.selectors import author_line, paper_docs, papers_between, topic_lines
from subscriptions.models import Topic

WINDOW_DAYS = 7
SHOWN = 5
_index_cache: dict[tuple, PaperIndex] = {}


def recent_index() -> tuple[PaperIndex, dict]:
    """The papers of the last 7 days of listings, indexed once per change of the table."""
    stats = Paper.objects.aggregate(featured=Max("featured_on"), announced=Max("announced_on"),
                                    changed=Max("updated_at"))
    days = [day for day in (stats["featured"], stats["announced"]) if day]
    if not days:
        return PaperIndex([]), {"since": None, "until": None}
    until = max(days)
    since = until - timedelta(days=WINDOW_DAYS - 1)
    key = (since, until, stats["changed"])
    if key not in _index_cache:
        _index_cache.clear()
        _index_cache[key] = PaperIndex(paper_docs(papers_between(since=since, until=until)))
    return _index_cache[key], {"since": since.isoformat(), "until": until.isoformat()}


def preview_for(*, interests: str, authors: str, topic_slugs: list[str]) -> tuple[dict, int]:
    """(JSON-ready answer, HTTP status)."""
    try:
        lines = validate_interest_lines(interests).splitlines()
    except FilterError as error:
        return {"error": str(error)}, 400
    lines += [author_line(name.strip()) for name in authors.splitlines()[:20] if name.strip()]
    # Topic slugs as the form sends them; anything longer than a slug can be is ignored.
    slugs = [value for value in topic_slugs[:50] if len(value) <= 50]
    topics = topic_lines(Topic.objects.filter(slug__in=slugs, is_active=True))
    index, window = recent_index()
    reader = Reader(key=0, lines=tuple(lines), topics=tuple(topics), limit=max(1, len(index)))
    matches = match(compile_readers([reader], topics=topics), index, threads=1)
    ranked = matches.ranked(0)[:SHOWN] if len(index) else []
    papers = {paper.pk: paper for paper in Paper.objects.filter(pk__in=[r.key for r in ranked])}
    return {
        **window,
        "papers": len(index),
        "matched": int(matches.counts[0]) if len(index) else 0,
        "everything": not lines and not topics,
        "top": [{"title": papers[r.key].title, "url": papers[r.key].url,
                 "words": sorted({w for why in r.why for w in why.words})} for r in ranked],
    }, 200
