"""python manage.py match, and the matcher's view of stored subscribers."""

import datetime
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from digest.match.inputs import reader_batches
from digest.models import Paper
from subscriptions.models import Subscriber, Topic
from tests.digest.factories import DeliveryFactory, DeliveryItemFactory, PaperFactory
from tests.subscriptions.factories import SubscriberFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def papers():
    PaperFactory(arxiv_id="2611.00001", title="Sparse Autoencoders at Scale",
                 abstract="We train SAEs.", upvotes=30, featured_on=datetime.date(2026, 11, 20))
    PaperFactory(arxiv_id="2611.00002", title="Robots that Plan",
                 abstract="A sparse autoencoder for robot features.", upvotes=90,
                 featured_on=datetime.date(2026, 11, 19))
    PaperFactory(arxiv_id="2611.00003", title="Diffusion Transformers", abstract="Images.",
                 upvotes=5, announced_on=datetime.date(2026, 11, 20), categories=["cs.CV"])


def run(*args) -> str:
    out = StringIO()
    call_command("match", *args, stdout=out)
    return out.getvalue()


def test_it_ranks_title_hits_first_and_shows_the_matched_words(papers):
    lines = run("sparse autoencoder").splitlines()
    assert lines[0].split()[:3] == ["1.", "2611.00001", "▲30"]
    assert lines[0].endswith("[sparse, autoencoders]")
    assert lines[1].split()[:3] == ["2.", "2611.00002", "▲90"]
    assert lines[-1] == "2 of 3 papers match “sparse autoencoder”."


def test_json_output_has_id_title_score_and_matched_words(papers):
    rows = json.loads(run('"sparse autoencoder" -robot', "--json"))
    assert rows == [{
        "arxiv_id": "2611.00001", "title": "Sparse Autoencoders at Scale", "score": 2,
        "matched": ["sparse", "autoencoders"], "upvotes": 30,
        "url": "https://huggingface.co/papers/2611.00001"}]


def test_since_and_until_narrow_the_papers(papers):
    rows = json.loads(run("sparse", "--since", "2026-11-20", "--json"))
    assert [row["arxiv_id"] for row in rows] == ["2611.00001"]
    rows = json.loads(run("cat:cs.cv", "--until", "2026-11-20", "--json"))
    assert [row["arxiv_id"] for row in rows] == ["2611.00003"]


ONLY_EXCLUDES = "“-robotics” only excludes; add at least one word to look for."


@pytest.mark.parametrize("args", [
    ["-robotics"], ["--", "-robotics"], ["-robotics", "--json"], ["--limit", "3", "-robotics"]])
def test_a_bad_line_prints_the_parse_error_and_exits_2(papers, args):
    with pytest.raises(CommandError) as raised:
        run(*args)
    assert str(raised.value) == ONLY_EXCLUDES
    assert raised.value.returncode == 2


@pytest.mark.parametrize("line", ["-vision", "-hinton"])
def test_a_line_that_looks_like_a_short_option_is_still_the_line(papers, line):
    with pytest.raises(CommandError, match=f"“{line}” only excludes"):
        run(line)


def test_an_or_line_matches_either_side(papers):
    rows = json.loads(run("diffusion OR robots", "--json"))
    assert [(row["arxiv_id"], row["matched"]) for row in rows] == [
        ("2611.00002", ["robots", "robot"]), ("2611.00003", ["diffusion"])]


@pytest.mark.parametrize(("args", "message"), [
    (["-robotics"], ONLY_EXCLUDES),
    (["--", "-robotics"], ONLY_EXCLUDES),
    (["diffusion OR"], "“OR” cannot end a line: put it between two things to look for, as in "
                       "diffusion OR \"flow matching\"."),
])
def test_the_real_command_line_prints_the_filter_error_not_argparse_usage(args, message):
    done = subprocess.run([sys.executable, "manage.py", "match", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    assert done.stderr.strip() == f"CommandError: {message}"
    assert "usage:" not in done.stderr and done.stdout == ""


def test_readers_carry_lines_authors_topics_limits_and_what_was_sent(papers):
    topic = Topic.objects.get(slug="interpretability")
    reader = SubscriberFactory(
        interests="sparse autoencoder\n\n diffusion ", authors='Yann LeCun\nAda "the" Lovelace',
        min_upvotes=3, papers_per_email=7)
    reader.topics.add(topic)
    sent_paper = Paper.objects.get(arxiv_id="2611.00001")
    delivery = DeliveryFactory(subscriber=reader, edition=datetime.date(2026, 11, 21),
                               status="sent")
    DeliveryItemFactory(delivery=delivery, paper=sent_paper, rank=1)
    [([email], rows)] = reader_batches(Subscriber.objects.all(), size=10,
                                       paper_keys=Paper.objects.values_list("pk", flat=True))
    built = rows.reader(0)
    assert email == reader.email
    assert built.lines == ("sparse autoencoder", "diffusion", 'author:"Yann LeCun"',
                           'author:"Ada the Lovelace"')
    assert built.topics == ("interpretability",)
    assert (built.min_upvotes, built.limit) == (3, 7)
    assert built.sent == frozenset({sent_paper.pk})


def test_each_reader_read_in_one_pass_gets_their_own_topics_and_sent_papers(papers):
    first, second = Topic.objects.order_by("pk")[:2]
    readers = [SubscriberFactory(interests=f"line {n}") for n in range(4)]
    readers[0].topics.add(first, second)
    readers[2].topics.add(second)
    sent = list(Paper.objects.order_by("pk")[:2])
    for day, (reader, paper) in enumerate(
            ((readers[1], sent[0]), (readers[3], sent[0]), (readers[3], sent[1])), start=18):
        delivery = DeliveryFactory(subscriber=reader, status="sent",
                                   edition=datetime.date(2026, 11, day))
        DeliveryItemFactory(delivery=delivery, paper=paper, rank=1)
    batches = reader_batches(Subscriber.objects.all(), size=3,  # readers 0-2, then 3
                             paper_keys=Paper.objects.values_list("pk", flat=True))
    read = [(email, rows.reader(row)) for emails, rows in batches
            for row, email in enumerate(emails)]
    assert [(email, r.lines, set(r.topics), r.sent) for email, r in read] == [
        (readers[0].email, ("line 0",), {first.slug, second.slug}, frozenset()),
        (readers[1].email, ("line 1",), set(), frozenset({sent[0].pk})),
        (readers[2].email, ("line 2",), {second.slug}, frozenset()),
        (readers[3].email, ("line 3",), set(), frozenset({sent[0].pk, sent[1].pk})),
    ]
