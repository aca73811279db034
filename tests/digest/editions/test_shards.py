"""Sharding an edition by reader-id range: the tick cuts the due readers into ranges, each
built by a task of its own, and the rows they write are exactly those one process writes."""

import datetime

import pytest

from digest.editions.build import deliveries_build
from digest.editions.due import subscribers_due_in
from digest.editions.shards import id_ranges
from digest.models import Delivery
from digest.tasks import build_shards, dispatch_tick
from subscriptions.models import Subscriber
from tests.delivery_fixtures import EDITION, make_reader

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(EDITION.year, EDITION.month, EDITION.day, 8, 5, tzinfo=datetime.UTC)
INTERPRETABILITY = ("Interpretability: what sparse autoencoders, probes and circuits reveal "
                    "about the features inside neural networks.")


@pytest.fixture
def crowd(papers):
    """Readers due at NOW: keyword lines, topics, authors, a description (learning), one
    with nothing matching; and some not due (another hour, unsubscribed) between them."""
    lines = ['sparse autoencoder', '"language model" -robotics', 'diffusion', 'speech',
             'title:agent*', 'quantum chromodynamics', 'cat:cs.CV', 'reasoning OR planning']
    due = []
    for n, line in enumerate(lines):
        due.append(make_reader(f"lines{n}@example.org", interests=line, timezone="UTC",
                               send_hour=8, papers_per_email=3 + n % 4))
        make_reader(f"later{n}@example.org", interests=line, timezone="UTC", send_hour=20)
    due.append(make_reader("topics@example.org", topics=["robotics", "speech-audio"],
                           timezone="UTC", send_hour=7))
    due.append(make_reader("learner@example.org", description=INTERPRETABILITY,
                           timezone="UTC", send_hour=8))
    due.append(make_reader("mixed@example.org", interests="language model",
                           description=INTERPRETABILITY, timezone="UTC", send_hour=8))
    make_reader("gone@example.org", interests="speech", timezone="UTC", send_hour=8,
                status=Subscriber.Status.UNSUBSCRIBED)
    return due


def rows() -> set[tuple]:
    """Every delivery of the edition as a reader would see it: who, sent or skipped, and
    the papers in order with why."""
    return {(d.subscriber.email, d.status, d.reason,
             tuple((i.paper.arxiv_id, i.rank, str(i.matched)) for i in d.items.order_by("rank")))
            for d in Delivery.objects.filter(edition=EDITION).select_related("subscriber")}


def test_ranges_cover_exactly_the_due_readers(crowd):
    _, due = subscribers_due_in("UTC", now=NOW)
    ranges, count = id_ranges(due, size=4)
    assert count == len(crowd) == 11
    assert [len(r.of(due)) for r in ranges] == [4, 4, 3]
    assert sorted(pk for r in ranges for pk in r.of(due).values_list("pk", flat=True)) == \
        sorted(reader.pk for reader in crowd)
    assert id_ranges(due.none(), size=4) == ([], 0)


def test_two_shards_write_exactly_the_rows_one_process_writes(crowd, settings):
    _, due = subscribers_due_in("UTC", now=NOW)
    deliveries_build(edition=EDITION, subscribers=due)
    one_process = rows()
    assert len(one_process) == 11
    assert any(items for _, _, _, items in one_process)
    assert any("recommended" in str(items) for _, _, _, items in one_process)
    Delivery.objects.all().delete()

    settings.BUILD_SHARD_READERS = 6
    shards, readers = build_shards(now=NOW, send=False)
    assert (len(shards), readers) == (2, 11)
    for shard in shards:
        shard.apply()
    assert rows() == one_process
    assert not Delivery.objects.filter(status__in=["sending", "sent"]).exists()


def test_the_tick_fans_out_one_task_per_shard_and_builds_every_reader_once(crowd, settings,
                                                                           monkeypatch):
    settings.BUILD_SHARD_READERS = 5
    monkeypatch.setattr("digest.tasks.timezone.now", lambda: NOW)
    summary = dispatch_tick()
    assert (summary["readers"], summary["build_shards"]) == (11, 3)
    assert Delivery.objects.filter(edition=EDITION).count() == 11
    assert dispatch_tick()["readers"] == 0  # built: nobody is due any more
