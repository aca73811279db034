"""Faults at the ESP: an ESP that fails a third of the time still gets each digest once."""

import random
from io import StringIO

import pytest
from django.core.management import call_command

from digest.models import Delivery
from tests.delivery_fixtures import EDITION, make_reader

pytestmark = pytest.mark.django_db


def test_an_esp_answering_500s_and_429s_gets_every_digest_exactly_once(papers, esp):
    for n in range(60):
        make_reader(f"reader{n}@example.org", interests="language model" if n % 2 else "")
    chance = random.Random(8)
    # 20% 500s and 10% 429s (with Retry-After), the rest accepted.
    esp.chaos = lambda number: chance.choices(["500", "429", "ok"], [20, 10, 70])[0]
    call_command("send_digests", "--date", EDITION.isoformat(), stdout=StringIO())
    delivered = [message["To"] for message in esp.messages]
    assert len(delivered) == len(set(delivered)) == 60  # each once, none twice
    assert Delivery.objects.filter(status="sent").count() == 60
    attempts = list(Delivery.objects.values_list("attempts", flat=True))
    assert max(attempts) <= 13 and sum(attempts) == len(esp.answers)
    assert esp.answers.count("500") + esp.answers.count("429") > 10  # the faults did happen
