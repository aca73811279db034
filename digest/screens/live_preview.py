"""The live preview on the signup and preferences pages: how many of the last week's
papers a reader's filters would match, and the best few, through the real matcher.

Anyone may call it (60 a minute per visitor), so its work is bounded: the week's index is
built once per process and change of the papers, and each preview's evaluation has a
budget of steps (digest.match.matching.Budget); lines that would cost more are refused as too
broad before the work is done.
"""

from datetime import timedelta

from django.core.validators import slug_re
from django.db.models import Count, Max

from digest.match.index import Budget, PaperIndex, TooMuchWork
from digest.match.inputs import paper_docs, papers_between, topic_lines
from digest.match.matching import match_few
from digest.match.readers import Reader
from digest.memo import BoundedCache
from digest.models import Paper
from subscriptions.filters import MAX_LINES, FilterError, reader_lines, validate_interest_lines
from subscriptions.models import Topic

WINDOW_DAYS = 7
SHOWN = 5
# Steps one preview may take: about 0.15 s of CPU on the 2-core machine, several times what
# real interest lines cost against a week of papers (digest/devtools/bench_preview.py).
PREVIEW_STEPS = 200_000
TOO_BROAD = ("These lines are too broad to preview: use fewer lines, fewer phrases of common "
             "words, or longer prefixes before the *.")
TERMS_KEPT = 5_000  # line and term results the preview's index keeps (about 10 MB)
_INDEX: BoundedCache[PaperIndex] = BoundedCache(1)  # the current window's only


def recent_index() -> tuple[PaperIndex, dict]:
    """The papers of the last 7 days of listings, indexed once per change of them. Finding
    the window reads two indexed maxima and the window's rows, never the whole table."""
    stats = Paper.objects.aggregate(featured=Max("featured_on"), announced=Max("announced_on"))
    days = [day for day in (stats["featured"], stats["announced"]) if day]
    if not days:
        return PaperIndex([]), {"since": None, "until": None}
    until = max(days)
    since = until - timedelta(days=WINDOW_DAYS - 1)
    papers = papers_between(since=since, until=until)
    key = (since, until, *papers.aggregate(changed=Max("updated_at"), count=Count("pk")).values())
    index = _INDEX.remember(key, lambda: PaperIndex(paper_docs(papers), kept=TERMS_KEPT))
    return index, {"since": since.isoformat(), "until": until.isoformat()}


def preview_for(*, interests: str, authors: str, topic_slugs: list[str]) -> tuple[dict, int]:
    """(JSON-ready answer, HTTP status)."""
    try:
        interests = validate_interest_lines(interests)
    except FilterError as error:
        return {"error": str(error)}, 400
    lines = list(reader_lines(interests=interests,
                              authors="\n".join(authors.splitlines()[:MAX_LINES])))
    # Topic slugs as the form sends them; anything that cannot be a slug (too long, a NUL
    # PostgreSQL would refuse) is ignored.
    slugs = [value for value in topic_slugs[:50]
             if len(value) <= 50 and slug_re.fullmatch(value)]
    topics = topic_lines(Topic.objects.filter(slug__in=slugs, is_active=True))
    index, window = recent_index()
    everything = not lines and not topics
    budget = Budget(PREVIEW_STEPS)
    try:
        matches = match_few([Reader(key=0, lines=tuple(lines), topics=tuple(topics),
                                    limit=SHOWN)], index, topics=topics, budget=budget)
        matched = 0  # every paper any of the lines matches, counted without ranking them all
        for query in matches.readers.lines:
            matched |= index.line_bits(query)[0]  # evaluated (and charged) by the match
        ranked = matches.ranked(0, budget) if len(index) else []
    except TooMuchWork:
        return {"error": TOO_BROAD}, 400
    papers = {paper.pk: paper for paper in Paper.objects.filter(pk__in=[r.key for r in ranked])}
    return {
        **window,
        "papers": len(index),
        "matched": len(index) if everything else matched.bit_count(),
        "everything": everything,
        "top": [{"title": papers[r.key].title, "url": papers[r.key].url,
                 "words": sorted({w for why in r.why for w in why.words})} for r in ranked],
    }, 200
