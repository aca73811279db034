"""Sending through Anymail's real Postmark backend to a fake Postmark: retries and failures,
timeouts the ESP took anyway, the dispatch tick (the tracking webhooks that suppress
addresses: tests/subscriptions/test_webhooks.py)."""

import datetime
from email.utils import format_datetime
from io import StringIO

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.utils import timezone

from digest.editions.build import deliveries_build
from digest.editions.due import subscribers_for_edition
from digest.models import Delivery
from digest.tasks import dispatch_tick, send_digest, send_retry_countdown
from tests.delivery_fixtures import EDITION, make_reader
from tests.mails import visible

pytestmark = pytest.mark.django_db


def send() -> str:
    out = StringIO()
    call_command("send_digests", "--date", EDITION.isoformat(), stdout=out)
    return out.getvalue().strip()


def test_digests_go_through_the_esp_with_headers_tag_and_metadata(readers, esp):
    assert send().startswith("Editions 2026-11-21: 3 sent")
    assert sorted(m["To"] for m in esp.messages) == [
        "ada@example.org", "alan@example.org", "grace@example.org"]
    ada = next(m for m in esp.messages if m["To"] == "ada@example.org")
    headers = {h["Name"]: h["Value"] for h in ada["Headers"]}
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<http://localhost:8000/u/")
    assert ada["Tag"] == "digest"
    delivery = Delivery.objects.get(subscriber=readers["ada"])
    assert ada["Metadata"]["delivery"] == delivery.key.hex
    assert "Sparse Autoencoders Find Shared Features" in visible(ada["HtmlBody"])
    assert delivery.esp_message_id == ada["MessageID"] and delivery.status == "sent"


def test_5xx_and_429_are_retried_until_sent_once(readers, esp):
    esp.script.extend(["500", "429", "500"])
    send()
    assert Delivery.objects.filter(status="sent").count() == 3
    assert len(esp.messages) == 3
    assert sorted(m["To"] for m in esp.messages) == [
        "ada@example.org", "alan@example.org", "grace@example.org"]
    retried = Delivery.objects.filter(attempts__gt=1)
    assert retried.count() >= 1


def test_retries_are_bounded_then_the_row_fails_with_the_reason(papers, esp):
    reader = make_reader("ada@example.org", interests="sparse autoencoder")
    esp.chaos = lambda number: "500"
    send()
    delivery = Delivery.objects.get(subscriber=reader)
    assert delivery.status == "failed"
    assert delivery.reason.startswith("gave up after retries: AnymailRequestsAPIError")
    assert delivery.attempts == 13  # the first try and 12 retries
    assert esp.messages == []


@pytest.fixture
def one_delivery(papers):
    make_reader("ada@example.org", interests="sparse autoencoder")
    [delivery_id] = deliveries_build(
        edition=EDITION, subscribers=subscribers_for_edition(edition=EDITION)).to_send
    return delivery_id


@pytest.fixture
def countdowns(monkeypatch):
    """When the worker would run send_digest again: the countdown of each retry it asks for."""
    asked = []
    monkeypatch.setattr(send_digest, "retry",
                        lambda **options: asked.append(options["countdown"]) or Retry())
    return asked


def test_a_429_naming_a_date_holds_the_retry_until_then(one_delivery, esp, countdowns):
    ten_minutes = timezone.now() + datetime.timedelta(minutes=10)
    esp.retry_after = format_datetime(ten_minutes, usegmt=True)  # an HTTP-date, not seconds
    esp.script.append("429")
    with pytest.raises(Retry):
        send_digest(one_delivery)
    [countdown] = countdowns
    assert 590 <= countdown <= 600
    assert Delivery.objects.get(pk=one_delivery).status == "pending"


def test_send_retries_back_off_exponentially_with_jitter_up_to_the_maximum(
        one_delivery, esp, countdowns, settings):
    settings.SEND_RETRY_BACKOFF_SECONDS, settings.SEND_RETRY_BACKOFF_MAX_SECONDS = 30, 1800
    esp.chaos = lambda number: "500"
    for retries in range(8):  # the task's runs as the worker's 1st to 8th retry
        with pytest.raises(Retry):
            send_digest.apply((one_delivery,), retries=retries, throw=True)
    # The first retry, queued by retry_later, waits 15-30 s; the task's own then double.
    ceilings = [min(1800, 30 * 2 ** (n + 1)) for n in range(8)]
    assert ceilings == [60, 120, 240, 480, 960, 1800, 1800, 1800]
    assert all(c / 2 <= wait <= c for c, wait in zip(ceilings, countdowns, strict=True))
    assert 15 <= send_retry_countdown(retry=1, retry_after=None) <= 30


def test_an_esp_asking_for_hours_is_retried_within_the_maximum(settings):
    settings.SEND_RETRY_BACKOFF_MAX_SECONDS = 1800  # under the broker's visibility timeout
    assert send_retry_countdown(retry=1, retry_after=7200) == 1800


def test_a_permanent_4xx_fails_at_once_with_the_reason(papers, esp):
    reader = make_reader("ada@example.org", interests="sparse autoencoder")
    esp.script.append("422")
    assert "1 failed" in send()
    delivery = Delivery.objects.get(subscriber=reader)
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "Invalid 'From' address" in delivery.reason


def test_an_address_the_esp_refuses_fails_at_once_with_the_esp_reason(papers, esp):
    refused = make_reader("gone@example.org", interests="sparse autoencoder")
    make_reader("ada@example.org", interests="sparse autoencoder")
    esp.refuse_marker = "gone@"  # Postmark's 406: an inactive (suppressed) recipient
    assert "1 sent" in send() and [m["To"] for m in esp.messages] == ["ada@example.org"]
    delivery = Delivery.objects.get(subscriber=refused)
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.reason.startswith("AnymailRecipientsRefused")


def test_a_timeout_the_esp_took_anyway_is_found_there_not_sent_twice(papers, esp):
    reader = make_reader("ada@example.org", interests="sparse autoencoder")
    esp.script.append("slow")  # the ESP takes the message, but answers after the timeout
    send()
    delivery = Delivery.objects.get(subscriber=reader)
    assert esp.answers == ["slow"] and esp.searches == 1
    assert [m["To"] for m in esp.messages] == ["ada@example.org"]
    assert delivery.status == "sent" and delivery.maybe_sent and delivery.attempts == 2
    assert delivery.esp_message_id == esp.messages[0]["MessageID"]
    assert delivery.reason == "the ESP already had it: an earlier try had reached it"


def test_a_timeout_the_esp_did_not_take_is_sent_again(papers, esp):
    reader = make_reader("ada@example.org", interests="sparse autoencoder")
    esp.script.append("stall")  # no answer in time, nothing taken
    send()
    delivery = Delivery.objects.get(subscriber=reader)
    assert esp.answers == ["stall", "ok"] and esp.searches == 1
    assert [m["To"] for m in esp.messages] == ["ada@example.org"]
    assert delivery.status == "sent" and delivery.esp_message_id == esp.messages[0]["MessageID"]


def test_an_esp_that_cannot_be_asked_now_is_asked_again_later(papers, esp):
    reader = make_reader("ada@example.org", interests="sparse autoencoder")
    esp.script.append("slow")
    esp.search_script.append("500")
    send()
    delivery = Delivery.objects.get(subscriber=reader)
    assert esp.searches == 2 and len(esp.messages) == 1
    assert delivery.status == "sent" and delivery.attempts == 3


def test_an_esp_that_refuses_the_search_gets_the_digest_again(papers, esp):
    """As before there was a search: a repeat is possible, and the ESP counts it."""
    reader = make_reader("ada@example.org", interests="sparse autoencoder")
    esp.script.append("slow")
    esp.search_script.append("401")
    send()
    assert Delivery.objects.get(subscriber=reader).status == "sent"
    assert [m["To"] for m in esp.messages] == ["ada@example.org"] * 2


def test_the_dispatch_tick_sends_each_reader_at_their_own_hour(papers, monkeypatch, esp):
    paris = make_reader("paris@example.org", interests="sparse", timezone="Europe/Paris",
                        send_hour=8)
    la = make_reader("la@example.org", interests="sparse", timezone="America/Los_Angeles",
                     send_hour=8)
    # 07:30 UTC on Saturday 21 November: 08:30 in Paris, 23:30 on Friday in Los Angeles.
    moment = datetime.datetime(2026, 11, 21, 7, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr("digest.tasks.timezone.now", lambda: moment)
    assert dispatch_tick()["readers"] == 1
    assert [m["To"] for m in esp.messages] == ["paris@example.org"]
    assert dispatch_tick()["readers"] == 0  # a second tick, or two at once: no second row
    assert Delivery.objects.filter(subscriber=paris).count() == 1
    assert not Delivery.objects.filter(subscriber=la).exists()


def test_a_row_left_sending_by_a_dead_worker_is_sent_by_a_later_tick(readers, esp,
                                                                     monkeypatch):
    from digest.editions.build import deliveries_build
    from digest.editions.due import subscribers_for_edition

    built = deliveries_build(edition=EDITION, subscribers=subscribers_for_edition(
        edition=EDITION))
    stuck = built.to_send[0]
    Delivery.objects.filter(pk=stuck).update(
        status="sending", claimed_at=timezone.now() - datetime.timedelta(minutes=20))
    later = timezone.now()
    monkeypatch.setattr("digest.tasks.timezone.now", lambda: later)
    assert dispatch_tick()["requeued"] >= 1
    assert Delivery.objects.get(pk=stuck).status == "sent"


def test_the_esp_connection_still_honours_the_proxy_variables(readers, esp, monkeypatch):
    """The ESP session reads the environment once, not per message: still read, though."""
    for name in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    send()
    assert esp.messages == []
    failed = Delivery.objects.exclude(reason="no matches")
    assert failed and all(d.status == "failed" and "ProxyError" in d.reason for d in failed)
    failed.update(status="pending")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    send()
    assert len(esp.messages) == len(failed) == Delivery.objects.filter(status="sent").count()
