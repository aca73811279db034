"""Fixtures and helpers for the team tests: a team of five whose interests overlap, a
reader's teams page and the form that starts a team."""

import pytest

from subscriptions import tokens
from subscriptions.models import Subscriber
from tests.delivery_fixtures import make_reader
from tests.subscriptions.factories import TeamFactory, TeamMemberFactory

LAB = "lab@lists.example.org"


def teams_page(reader: Subscriber) -> str:
    """The reader's teams page, as the link on their manage page opens it."""
    return f"/manage/{tokens.token_make(subscriber=reader, purpose=tokens.MANAGE)}/teams/"


def team_data(**changes) -> dict:
    data = {"action": "create", "name": "Vision Lab", "address": "vision@lists.example.org",
            "members": "", "frequency": "daily", "send_hour": "9",
            "timezone": "Europe/Berlin", "papers_per_email": "12"}
    data.update(changes)
    return data


@pytest.fixture
def lab(papers):
    """A team of five readers whose interests overlap (language models and speech, agents
    and reinforcement learning, video), due at 08:00 UTC; the readers' own digests go at
    another hour."""
    team = TeamFactory(name="Lovelace Lab", address=LAB, timezone="UTC", send_hour=8,
                       papers_per_email=6)
    members = {
        "Ada": make_reader("ada@example.org", interests='sparse autoencoder\n"language model"'),
        "Grace": make_reader("grace@example.org", topics=["robotics", "speech-audio"]),
        "alan": make_reader("alan@example.org", interests="reinforcement learning\nagent"),
        "Barbara": make_reader("barbara@example.org", interests="video\nspeech"),
        "edsger": make_reader("edsger@example.org", interests="quantization\nretrieval\nagent"),
    }
    for label, reader in members.items():
        Subscriber.objects.filter(pk=reader.pk).update(send_hour=20)
        TeamMemberFactory(team=team, subscriber=reader,
                          name=label if label[0].isupper() else "")
    return team, members
