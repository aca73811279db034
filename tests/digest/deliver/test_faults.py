"""Faults at the ESP: an ESP that fails a third of the time, or answers too late, still gets
each digest once; so does one whose sender died between the ESP's answer and the record."""

import datetime
import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from digest.deliver.batch import deliveries_send
from digest.deliver.state import deliveries_requeue_stuck
from digest.editions.build import deliveries_build
from digest.editions.due import subscribers_for_edition
from digest.models import Delivery
from tests.delivery_fixtures import EDITION, make_reader

pytestmark = pytest.mark.django_db


def test_an_esp_answering_500s_429s_and_too_late_gets_every_digest_exactly_once(
        papers, esp, settings):
    for n in range(60):
        make_reader(f"reader{n}@example.org", interests="language model" if n % 2 else "")
    chance = random.Random(8)
    # 20% 500s, 10% 429s (with Retry-After), 5% taken but answered after the client's
    # timeout, the rest accepted.
    esp.chaos = lambda number: chance.choices(["500", "429", "slow", "ok"], [20, 10, 5, 65])[0]
    settings.ANYMAIL = {**settings.ANYMAIL, "REQUESTS_TIMEOUT": 0.3}
    esp.slow_seconds = 0.6
    call_command("send_digests", "--date", EDITION.isoformat(), stdout=StringIO())
    delivered = [message["To"] for message in esp.messages]
    assert len(delivered) == len(set(delivered)) == 60  # each once, none twice
    assert Delivery.objects.filter(status="sent").count() == 60
    found = Delivery.objects.filter(reason__startswith="the ESP already had it").count()
    attempts = list(Delivery.objects.values_list("attempts", flat=True))
    assert max(attempts) <= 13 and sum(attempts) == len(esp.answers) + found
    # The faults did happen, and each answer that came too late was found at the ESP.
    assert esp.answers.count("500") + esp.answers.count("429") > 10
    assert found == esp.answers.count("slow") > 0


def test_a_digest_whose_sender_died_after_the_esp_took_it_is_not_sent_again(
        papers, esp, monkeypatch):
    reader = make_reader("ada@example.org", interests="sparse autoencoder")
    [delivery_id] = deliveries_build(
        edition=EDITION, subscribers=subscribers_for_edition(edition=EDITION)).to_send

    def killed(*args, **kwargs):
        raise SystemExit("SIGKILL")  # after the ESP's answer, before the database heard

    with monkeypatch.context() as patch:
        patch.setattr("digest.deliver.send.delivery_record_sent", killed)
        with pytest.raises(SystemExit):
            deliveries_send([delivery_id], on_transient=lambda *args: None)
    assert Delivery.objects.get(pk=delivery_id).status == "sending"
    later = timezone.now() + datetime.timedelta(hours=1)
    assert deliveries_requeue_stuck(now=later, stuck_after=datetime.timedelta(minutes=15)) == [
        delivery_id]
    deliveries_send([delivery_id], on_transient=lambda *args: None)
    delivery = Delivery.objects.get(subscriber=reader)
    assert [m["To"] for m in esp.messages] == ["ada@example.org"]  # once
    assert delivery.status == "sent" and delivery.esp_message_id == esp.messages[0]["MessageID"]
