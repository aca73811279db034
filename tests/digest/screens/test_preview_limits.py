"""The live preview's work is bounded: lines that would keep a worker busy are refused as too
broad before the work is done, while what readers really write is answered.
(digest/devtools/bench_preview.py measures the site under a client looping heavy previews.)"""

import datetime
import itertools
import time

import pytest
from django.utils import timezone

from digest.devtools import synthetic
from digest.match.index import Budget, PaperIndex
from digest.match.matching import match
from digest.match.readers import Reader, compile_readers
from digest.models import Paper
from digest.screens.live_preview import PREVIEW_STEPS, TOO_BROAD, recent_index
from subscriptions.filters import parse_lines
from tests.digest.factories import PaperFactory

COMMON = synthetic.FILLER.split()


def lines_of(terms, count: int = 20) -> str:
    """Up to `count` lines of at most 200 characters, filled with the terms."""
    lines, line = [], ""
    for term in terms:
        if len(line) + len(term) + 1 > 200:
            lines.append(line)
            line = ""
            if len(lines) == count:
                break
        line = f"{line} {term}".strip()
    return "\n".join(lines)


PHRASE_FLOOD = lines_of(f'"{a} {b}"' for a, b in itertools.permutations(COMMON, 2))


@pytest.fixture
def week_of_papers(db):
    today = timezone.localdate()
    Paper.objects.bulk_create([
        PaperFactory.build(arxiv_id=f"2611.{doc.key:05d}", title=doc.title,
                           abstract=doc.abstract, authors=list(doc.authors),
                           categories=list(doc.categories), ai_keywords=list(doc.keywords),
                           upvotes=doc.upvotes,
                           featured_on=today - datetime.timedelta(days=doc.key % 7))
        for doc in synthetic.papers(600)])


def test_lines_that_would_cost_too_much_are_refused_quickly(client, week_of_papers):
    started = time.process_time()
    response = client.get("/preview/", {"interests": PHRASE_FLOOD})
    assert time.process_time() - started < 2
    assert response.status_code == 400 and response.json() == {"error": TOO_BROAD}


def test_what_readers_write_is_still_answered_with_the_right_count(client, week_of_papers):
    lines = '"language model" -robotics\ndiffus*\ntitle:agent\nself-super*\nlearning'
    answer = client.get("/preview/", {"interests": lines, "authors": "Ada Lovelace"}).json()
    assert answer["papers"] == 600 and len(answer["top"]) == 5
    assert 0 < answer["matched"] <= 600
    assert all(paper["words"] for paper in answer["top"])


@pytest.fixture(scope="module")
def arxiv_week():
    """7,000 papers: about a week of the four arXiv categories ingested by default."""
    return PaperIndex(synthetic.papers(7000))


@pytest.mark.parametrize("interests", [
    "\n".join(f'"{phrase}"' for phrase in synthetic.PHRASES[:20]),  # 20 phrase lines
    "\n".join(f"{a} {b} -{c}" for a, b, c in zip(synthetic.TERMS[:20], synthetic.TERMS[20:40],
                                                  synthetic.TERMS[40:60], strict=True)),
    lines_of(f"{word[:3]}*" for word in synthetic.TERMS[:60]),  # short prefixes
])
def test_a_busy_readers_lines_fit_the_budget_for_a_week_of_arxiv(arxiv_week, interests):
    index = arxiv_week
    readers = compile_readers([Reader(key=0, lines=tuple(q.text for q in parse_lines(interests)))],
                              topics={})
    budget = Budget(PREVIEW_STEPS)
    for query in readers.lines:
        index.line_bits(query, budget)
    assert budget.steps > PREVIEW_STEPS // 3, PREVIEW_STEPS - budget.steps


@pytest.mark.parametrize("interests", ["model", '"language model"\ncat:cs.CL\ndiffus*', ""])
def test_the_count_is_every_match_though_only_five_are_ranked(client, week_of_papers,
                                                               interests):
    index, _ = recent_index()
    lines = tuple(q.text for q in parse_lines(interests))
    everyone = match(compile_readers([Reader(key=0, lines=lines, limit=len(index))], topics={}),
                     index)
    answer = client.get("/preview/", {"interests": interests}).json()
    assert answer["matched"] == everyone.counts[0] > 5
    assert [paper["title"] for paper in answer["top"]] == [
        Paper.objects.get(pk=key).title for key in everyone.paper_keys(0)[:5]]
