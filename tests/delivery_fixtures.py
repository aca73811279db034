"""Papers, readers and a fake ESP for the delivery tests."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from digest.devtools.fake_esp import TOKEN, FakeESP
from digest.management.commands.demo import SAMPLE
from subscriptions.models import Subscriber
from tests.subscriptions.factories import SubscriberFactory

EDITION = datetime.date(2026, 11, 21)  # the day after the sample's featured day


@pytest.fixture
def papers():
    call_command("ingest", "--file", str(SAMPLE), stdout=StringIO())


def make_reader(email: str, *, topics=(), **fields) -> Subscriber:
    """An active reader following the catalog's topics of these slugs."""
    return SubscriberFactory(email=email, topics=topics, **fields)


@pytest.fixture
def readers(papers):
    return {
        "ada": make_reader("ada@example.org",
                           interests='sparse autoencoder\n"language model" -robotics'),
        "grace": make_reader("grace@example.org", authors="Grace Liu",
                             topics=["robotics", "speech-audio"]),
        "alan": make_reader("alan@example.org", papers_per_email=3),
        "zed": make_reader("zed@example.org", interests="quantum chromodynamics"),
    }


@pytest.fixture
def esp(settings):
    """Anymail's real Postmark backend, pointed at a fake Postmark on 127.0.0.1."""
    server = FakeESP().start()
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_SERVER_TOKEN": TOKEN,
                        "POSTMARK_API_URL": server.url, "REQUESTS_TIMEOUT": 1.0}
    yield server
    server.stop()
