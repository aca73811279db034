"""Real Celery workers, in their own processes, run tasks from Redis against the test
database: a maintenance task, and the whole dispatch of an edition through the fake ESP."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from digest.devtools.fake_esp import TOKEN, FakeESP
from digest.editions.build import deliveries_build
from digest.editions.due import subscribers_for_edition
from digest.management.commands.demo import SAMPLE
from digest.models import Delivery, Paper, PaperEmbedding
from subscriptions.models import SignupRequest, Subscriber
from tests.subscriptions.factories import SignupRequestFactory, SubscriberFactory
from tests.workers import celery_worker, wait_until


def postmark_to(esp: FakeESP) -> dict:
    """A worker's environment that mails through Anymail's Postmark backend to this ESP."""
    return {"EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
            "ANYMAIL_POSTMARK_SERVER_TOKEN": TOKEN, "ANYMAIL_POSTMARK_API_URL": esp.url,
            "SITE_URL": "https://paperboy.example.org"}


pytestmark = [pytest.mark.services,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_real_worker_purges_stale_unconfirmed_signups(redis_url):
    now = timezone.now()
    long_ago = now - datetime.timedelta(days=8)
    stale = SignupRequestFactory(email="stale@example.org", requested_at=long_ago)
    SignupRequestFactory(email="fresh@example.org", requested_at=now)
    loyal = SubscriberFactory(email="loyal@example.org", status=Subscriber.Status.ACTIVE)
    Subscriber.objects.filter(pk=loyal.pk).update(status_changed_at=long_ago)

    with celery_worker(redis_url) as (send_task, log):
        send_task("subscriptions.tasks.purge_unconfirmed")
        gone = wait_until(lambda: not SignupRequest.objects.filter(pk=stale.pk).exists(),
                          seconds=60)
    assert gone, f"the worker never purged the stale sign-up; its log:\n{log}"
    assert "purge_unconfirmed" in log[0] and "succeeded" in log[0]
    assert set(SignupRequest.objects.values_list("email", flat=True)) == {"fresh@example.org"}
    assert Subscriber.objects.filter(pk=loyal.pk).exists()


def test_a_real_worker_logs_json_lines_with_log_format_json(redis_url):
    marker = SignupRequestFactory(
        email="marker@example.org", requested_at=timezone.now() - datetime.timedelta(days=8))
    with celery_worker(redis_url, LOG_FORMAT="json") as (send_task, log):
        send_task("digest.tasks.dispatch_tick")
        send_task("subscriptions.tasks.purge_unconfirmed")  # one worker: runs after the tick
        wait_until(lambda: not SignupRequest.objects.filter(pk=marker.pk).exists(), seconds=60)
    # The worker's banner and a warning about running as root are not log records.
    records = [json.loads(line) for line in log[0].splitlines() if line.startswith("{")]
    loggers = {record["logger"] for record in records}
    assert {"celery.apps.worker", "celery.app.trace", "digest.tasks"} <= loggers, log
    [tick] = [record for record in records if record["logger"] == "digest.tasks"]
    assert tick["message"].startswith("Dispatch tick queued the readers due now: readers=0")
    assert (tick["level"], tick["readers"], tick["requeued"]) == ("INFO", 0, 0)


def test_a_real_worker_dispatches_an_edition_through_the_esp_once(redis_url):
    call_command("ingest", "--file", str(SAMPLE), stdout=StringIO())
    now = timezone.now()
    Paper.objects.update(featured_on=now.date() - datetime.timedelta(days=1))
    for email, interests in [("ada@example.org", "sparse autoencoder"),
                             ("bob@example.org", "speech"), ("cy@example.org", "")]:
        SubscriberFactory(email=email, interests=interests, timezone="UTC",
                          send_hour=now.hour)
    # A sign-up left unconfirmed: its purge, queued last, shows the worker got that far.
    marker = SignupRequestFactory(email="marker@example.org",
                                  requested_at=now - datetime.timedelta(days=8))
    esp = FakeESP().start()
    try:
        with celery_worker(redis_url, **postmark_to(esp)) as (send_task, log):
            send_task("digest.tasks.dispatch_tick")
            sent = wait_until(lambda: Delivery.objects.filter(status="sent").count() == 3,
                              seconds=90)
            send_task("digest.tasks.dispatch_tick")  # a second tick: nothing new to send
            send_task("subscriptions.tasks.purge_unconfirmed")  # one worker: runs after it
            wait_until(lambda: not SignupRequest.objects.filter(pk=marker.pk).exists(),
                       seconds=60)
    finally:
        esp.stop()
    assert sent, f"not every digest was sent; the worker said:\n{log}"
    assert not SignupRequest.objects.filter(pk=marker.pk).exists(), log
    assert log[0].count("Task digest.tasks.dispatch_tick") >= 2
    assert sorted(m["To"] for m in esp.messages) == [
        "ada@example.org", "bob@example.org", "cy@example.org"]
    delivery_keys = {key.hex for key in Delivery.objects.values_list("key", flat=True)}
    for message in esp.messages:
        headers = {h["Name"]: h["Value"] for h in message["Headers"]}
        assert headers["List-Unsubscribe"].startswith("<https://paperboy.example.org/u/")
        assert message["Metadata"]["delivery"] in delivery_keys
    assert set(Delivery.objects.values_list("esp_message_id", flat=True)) == {
        m["MessageID"] for m in esp.messages}


def test_rows_whose_queued_sends_were_lost_are_found_and_sent_once(redis_url):
    """A broker restarted without persistence loses the queued sends: the next tick finds
    the pending rows nobody took (once the queue is empty) and queues them again."""
    call_command("ingest", "--file", str(SAMPLE), stdout=StringIO())
    now = timezone.now()
    edition = now.date()
    Paper.objects.update(featured_on=edition - datetime.timedelta(days=1))
    for n in range(3):
        SubscriberFactory(email=f"reader{n}@example.org", timezone="UTC", send_hour=now.hour)
    # Rows written, their sends queued on a broker that then lost them.
    built = deliveries_build(edition=edition, subscribers=subscribers_for_edition(
        edition=edition))
    assert len(built.to_send) == 3
    Delivery.objects.update(created_at=now - datetime.timedelta(minutes=5))
    esp = FakeESP().start()
    environment = {**postmark_to(esp), "DELIVERY_WAITING_AFTER_SECONDS": "120"}
    try:
        with celery_worker(redis_url, **environment) as (send_task, log):
            send_task("digest.tasks.dispatch_tick")
            sent = wait_until(lambda: Delivery.objects.filter(status="sent").count() == 3,
                              seconds=60)
    finally:
        esp.stop()
    assert sent, f"the lost sends were never found; the worker said:\n{log}"
    assert sorted(m["To"] for m in esp.messages) == [
        "reader0@example.org", "reader1@example.org", "reader2@example.org"]
    assert "Dispatch tick queued the readers due now: " in log[0] and "requeued=3" in log[0]


def test_a_real_worker_embeds_new_papers_then_mails_a_reader_who_only_described_interests(
        redis_url):
    """Papers stored without vectors (as a worker-less ingest would leave them) are embedded
    by the worker's tasks, off the send path; then a reader who gave only a description gets
    the papers that fit, with the one-click links."""
    call_command("ingest", "--file", str(SAMPLE), stdout=StringIO())
    PaperEmbedding.objects.all().delete()
    now = timezone.now()
    Paper.objects.update(featured_on=now.date() - datetime.timedelta(days=1))
    SubscriberFactory(email="lin@example.org", timezone="UTC", send_hour=now.hour,
                      description="Interpretability: what sparse autoencoders, probes and "
                                  "circuits reveal about the features inside neural networks.")
    esp = FakeESP().start()
    try:
        with celery_worker(redis_url, **postmark_to(esp)) as (send_task, log):
            send_task("digest.tasks.embed_new_papers")
            embedded = wait_until(lambda: PaperEmbedding.objects.count() == Paper.objects.count(),
                                  seconds=120)
            send_task("digest.tasks.dispatch_tick")
            sent = wait_until(lambda: Delivery.objects.filter(status="sent").count() == 1,
                              seconds=90)
    finally:
        esp.stop()
    assert embedded, f"the worker did not embed every paper; its log:\n{log}"
    assert "Task digest.tasks.embed_papers" in log[0]
    assert sent, f"the reader's digest was not sent; the worker said:\n{log}"
    [message] = esp.messages
    assert "Sparse Autoencoders Find Shared Features" in message["HtmlBody"]
    assert "Recommended for you" in message["HtmlBody"]
    assert "More like this" in message["HtmlBody"] and "Less like this" in message["HtmlBody"]
    assert "Flow Matching for Video Generation" not in message["HtmlBody"]


def test_a_real_worker_builds_an_edition_in_two_shards_as_one_process_does(redis_url):
    """The tick cuts the due readers into id ranges (here of 2) and the worker builds each
    range as a task of its own: the digests hold exactly what one process would put in
    them, learned recommendations included."""
    call_command("ingest", "--file", str(SAMPLE), stdout=StringIO())
    now = timezone.now()
    Paper.objects.update(featured_on=now.date() - datetime.timedelta(days=1))
    for email, fields in [("ada@example.org", {"interests": "sparse autoencoder"}),
                          ("bob@example.org", {"interests": "speech\ndiffusion"}),
                          ("cy@example.org", {"interests": "quantum chromodynamics"}),
                          ("lin@example.org", {"description": "Interpretability: sparse "
                                               "autoencoders, probes and circuits."})]:
        SubscriberFactory(email=email, timezone="UTC", send_hour=now.hour, **fields)

    def digests() -> dict[str, tuple]:
        return {d.subscriber.email: (d.status == "skipped", d.reason, tuple(
            (i.paper.arxiv_id, str(i.matched)) for i in d.items.order_by("rank")))
            for d in Delivery.objects.select_related("subscriber")}

    deliveries_build(edition=now.date(), subscribers=subscribers_for_edition(
        edition=now.date()))
    one_process = digests()
    Delivery.objects.all().delete()
    esp = FakeESP().start()
    try:
        with celery_worker(redis_url, BUILD_SHARD_READERS="2", **postmark_to(esp)) as (
                send_task, log):
            send_task("digest.tasks.dispatch_tick")
            done = wait_until(lambda: Delivery.objects.count() == 4 and not Delivery.objects
                              .filter(status__in=["pending", "sending"]).exists(), seconds=90)
    finally:
        esp.stop()
    assert done, f"the edition was not built and sent; the worker said:\n{log}"
    assert "build_shards=2" in log[0] and log[0].count("Built deliveries") == 2, log[0]
    assert digests() == one_process
    assert len(esp.messages) == sum(not skipped for skipped, _, _ in one_process.values()) == 3
