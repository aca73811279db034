"""Rows of the digest's app for tests. Each factory makes a plain, valid row; a test passes
the fields it relies on (`PaperFactory(arxiv_id="2611.00001", upvotes=30)`), and `build()`
makes unsaved rows for bulk_create."""

import factory
from django.utils import timezone

from digest.models import (
    Delivery,
    DeliveryItem,
    Follow,
    IngestRun,
    Paper,
    PaperEvent,
    ReaderProfile,
    Vote,
)
from tests.subscriptions.factories import SubscriberFactory


class PaperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Paper

    arxiv_id = factory.Sequence(lambda n: f"2601.{n:05d}")
    title = factory.Sequence(lambda n: f"Paper {n}")


class DeliveryFactory(factory.django.DjangoModelFactory):
    """Today's edition for a new reader, not yet sent."""

    class Meta:
        model = Delivery

    subscriber = factory.SubFactory(SubscriberFactory)
    edition = factory.LazyFunction(timezone.localdate)


class DeliveryItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryItem

    delivery = factory.SubFactory(DeliveryFactory)
    paper = factory.SubFactory(PaperFactory)
    rank = 1


class IngestRunFactory(factory.django.DjangoModelFactory):
    """A run of the Hugging Face source for one day, as the daily task starts it."""

    class Meta:
        model = IngestRun

    source = IngestRun.Source.HF
    request = factory.Dict({"date": "2026-11-20"})


class VoteFactory(factory.django.DjangoModelFactory):
    """A reader's "More like this" on a paper, just now."""

    class Meta:
        model = Vote

    subscriber = factory.SubFactory(SubscriberFactory)
    paper = factory.SubFactory(PaperFactory)
    value = Vote.Value.MORE
    voted_at = factory.LazyFunction(timezone.now)


class ReaderProfileFactory(factory.django.DjangoModelFactory):
    """A reader's learned profile, not fitted yet."""

    class Meta:
        model = ReaderProfile

    subscriber = factory.SubFactory(SubscriberFactory)


class FollowFactory(factory.django.DjangoModelFactory):
    """A reader following a paper since now."""

    class Meta:
        model = Follow

    subscriber = factory.SubFactory(SubscriberFactory)
    paper = factory.SubFactory(PaperFactory)
    followed_at = factory.LazyFunction(timezone.now)


class PaperEventFactory(factory.django.DjangoModelFactory):
    """A paper's code released, noticed now."""

    class Meta:
        model = PaperEvent

    paper = factory.SubFactory(PaperFactory)
    kind = PaperEvent.Kind.CODE
    value = factory.Sequence(lambda n: f"https://github.com/example/repo-{n}")
    noticed_at = factory.LazyFunction(timezone.now)
