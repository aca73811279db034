"""The readers' records: one subscriber per mailbox, a status always, and the topic catalog."""

import pytest
from django.db import IntegrityError, transaction

from subscriptions.models import Subscriber, Topic

pytestmark = pytest.mark.django_db


def test_emails_are_normalized_so_one_mailbox_subscribes_once():
    first = Subscriber.objects.create(email="  Ada@Example.ORG ", status="active")
    assert first.email == "ada@example.org"
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscriber.objects.create(email="ADA@example.org", status="active")


def test_a_subscriber_has_a_random_token_and_must_say_how_it_came_to_be():
    one = Subscriber.objects.create(email="a@example.org", status="active")
    two = Subscriber.objects.create(email="b@example.org", status="unsubscribed")
    assert len(one.token) >= 32 and one.token != two.token
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscriber.objects.create(email="c@example.org")  # no status: no such reader
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscriber.objects.create(email="d@example.org", status="pending")


def test_the_database_refuses_a_send_hour_past_23():
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscriber.objects.create(email="late@example.org", status="active", send_hour=24)


def test_the_topic_catalog_is_seeded_with_real_ml_topics():
    names = set(Topic.objects.values_list("name", flat=True))
    assert len(names) >= 12
    assert {"Large language models", "Computer vision", "Reinforcement learning",
            "Interpretability"} <= names
    llm = Topic.objects.get(slug="large-language-models")
    assert '"language model"' in llm.interest_lines
    assert llm.category_list == ["cs.CL"]
