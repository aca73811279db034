"""python manage.py evaluate_learning: editions of the labelled evaluation set replayed for
simulated readers, and the precision each method's mails had. MiniLM runs at 32 word pieces
here, to keep the test short; which method wins is a measured figure (README), not a test."""

import dataclasses
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from digest.learn.evaluation import (
    KEYWORDS,
    LINES,
    SHIPPED_MODEL,
    Replay,
    eval_set_load,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "eval"
METHOD_ROWS = ("keyword filters alone", "TF-IDF + Rocchio", "shipped model")


def run(*args) -> str:
    out = StringIO()
    call_command("evaluate_learning", *args, stdout=out)
    return out.getvalue()


def table(output: str, title: str) -> dict[str, list[str]]:
    """The rows of the table printed under `title`: method -> its cells."""
    block = output.split(title, 1)[1].split("\n\n", 2)[1]
    rows = [line.strip("|").split("|") for line in block.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows[1:]}


def test_it_prints_each_methods_precision_per_reader_kind():
    output = run("--topics", "rag", "speech-audio", "--max-tokens", "32", "--no-cache")

    assert "2 topics x 15 editions (2026-11-09 to 2026-11-27)" in output
    precision = table(output, "Precision of what was sent")
    assert [name.split(" (")[0] for name in precision] == list(METHOD_ROWS)
    keywords, tfidf, shipped = precision.values()
    assert keywords[:2] == ["-", "-"]  # keyword filters have only the lines reader
    figures = [keywords[2], keywords[3], *tfidf, *shipped]
    assert all(re.fullmatch(r"[01]\.\d\d", cell) for cell in figures), figures
    assert all(0 <= float(cell) <= 1 for cell in figures)
    assert len(table(output, "Recall")) == 3


def test_an_unknown_topic_is_refused_naming_the_topics():
    with pytest.raises(CommandError, match="unknown topic quantum.*interpretability"):
        run("--topics", "quantum", "--no-cache")


def test_a_reader_with_only_lines_gets_their_filters_digest_until_they_vote():
    evaluation = eval_set_load(directory=DATA)
    first_days = evaluation.days[:6]  # the history week and the first edition
    evaluation = dataclasses.replace(
        evaluation, papers=[p for p in evaluation.papers if p.day in first_days])
    replay = Replay(evaluation, max_tokens=32, cache_dir=None)
    day = replay.editions[0]
    changed = []
    for topic in evaluation.topics.values():
        filters = replay.digest(KEYWORDS, topic=topic, kind=LINES, day=day, up=[], down=[])
        unvoted = replay.digest(SHIPPED_MODEL, topic=topic, kind=LINES, day=day, up=[],
                                down=[])
        assert unvoted == filters, topic.slug

        liked = [paper.key for paper in evaluation.papers
                 if paper.day < day and topic.slug in paper.topics]
        voted = replay.digest(SHIPPED_MODEL, topic=topic, kind=LINES, day=day, up=liked,
                              down=[])
        assert set(filters) <= set(voted), topic.slug  # matched papers keep their place
        if voted != filters:  # reordered by the model, or with recommendations
            changed.append(topic.slug)
    assert changed
