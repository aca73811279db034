"""python manage.py match, and the matcher's view of stored subscribers."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from digest.models import Delivery, DeliveryItem, Paper
from digest.selectors import readers_for
from subscriptions.models import Subscriber, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers():
    Paper.objects.create(arxiv_id="2611.00001", title="Sparse Autoencoders at Scale",
                         abstract="We train SAEs.", upvotes=30,
                         featured_on=datetime.date(2026, 11, 20))
    Paper.objects.create(arxiv_id="2611.00002", title="Robots that Plan",
                         abstract="A sparse autoencoder for robot features.", upvotes=90,
                         featured_on=datetime.date(2026, 11, 19))
    Paper.objects.create(arxiv_id="2611.00003", title="Diffusion Transformers",
                         abstract="Images.", upvotes=5, announced_on=datetime.date(2026, 11, 20),
                         categories=["cs.CV"])


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


def test_a_bad_line_prints_the_parse_error_and_exits_2(papers):
    with pytest.raises(CommandError, match="only excludes") as raised:
        run("--", "-robotics")
    assert raised.value.returncode == 2


def test_readers_carry_lines_authors_topics_limits_and_what_was_sent(papers):
    topic = Topic.objects.get(slug="interpretability")
    reader = Subscriber.objects.create(
        email="r@example.org", status="active", interests="sparse autoencoder\n\n diffusion ",
        authors='Yann LeCun\nAda "the" Lovelace', min_upvotes=3, papers_per_email=7)
    reader.topics.add(topic)
    sent_paper = Paper.objects.get(arxiv_id="2611.00001")
    delivery = Delivery.objects.create(subscriber=reader, edition=datetime.date(2026, 11, 21),
                                       status="sent")
    DeliveryItem.objects.create(delivery=delivery, paper=sent_paper, rank=1)
    [built] = readers_for(Subscriber.objects.all(),
                          paper_keys=Paper.objects.values_list("pk", flat=True))
    assert built.lines == ("sparse autoencoder", "diffusion", 'author:"Yann LeCun"',
                           'author:"Ada the Lovelace"')
    assert built.topics == ("interpretability",)
    assert (built.min_upvotes, built.limit) == (3, 7)
    assert built.sent == frozenset({sent_paper.pk})
