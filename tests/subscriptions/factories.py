"""Rows of the readers' app for tests. Each factory makes a plain, valid row; a test passes
the fields it relies on (`SubscriberFactory(email="ada@example.org", status="bounced")`), and
`build()` makes unsaved rows for bulk_create."""

import factory
from django.utils import timezone

from subscriptions.models import (
    HistoryEntry,
    MailEvent,
    SignupRequest,
    Subscriber,
    Team,
    TeamMember,
    Topic,
)


class TopicFactory(factory.django.DjangoModelFactory):
    """A topic of one's own; the seeded catalog's are found by slug."""

    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")
    interests = "sparse autoencoder"


class SubscriberFactory(factory.django.DjangoModelFactory):
    """An active reader with the signup form's defaults and no filters."""

    class Meta:
        model = Subscriber
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"subscriber{n}@example.org")
    status = Subscriber.Status.ACTIVE

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        """SubscriberFactory(topics=["robotics"]) follows the catalog's topics of those slugs."""
        if create and extracted:
            self.topics.set(Topic.objects.filter(slug__in=extracted))


class SignupRequestFactory(factory.django.DjangoModelFactory):
    """A sign-up waiting for its confirmation, asked for just now."""

    class Meta:
        model = SignupRequest

    email = factory.Sequence(lambda n: f"signup{n}@example.org")
    requested_at = factory.LazyFunction(timezone.now)


class HistoryEntryFactory(factory.django.DjangoModelFactory):
    """A line of a reader's history: by default, the reader unsubscribed just now."""

    class Meta:
        model = HistoryEntry

    subscriber = factory.SubFactory(SubscriberFactory)
    at = factory.LazyFunction(timezone.now)
    actor = "reader"
    action = "unsubscribed"


class MailEventFactory(factory.django.DjangoModelFactory):
    """An event an ESP reported, stored once by its id."""

    class Meta:
        model = MailEvent

    event_id = factory.Sequence(lambda n: f"pm:{n}")
    event_type = "bounced"


class TeamFactory(factory.django.DjangoModelFactory):
    """A team whose address confirmed, sending at 08:00 UTC."""

    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Lab {n}")
    address = factory.Sequence(lambda n: f"lab{n}@lists.example.org")
    status = Team.Status.ACTIVE


class TeamMemberFactory(factory.django.DjangoModelFactory):
    """A reader who accepted a team's invitation."""

    class Meta:
        model = TeamMember

    team = factory.SubFactory(TeamFactory)
    subscriber = factory.SubFactory(SubscriberFactory)
    email = factory.LazyAttribute(lambda member: member.subscriber.email)
    invited_at = factory.LazyFunction(timezone.now)
    confirmed_at = factory.LazyFunction(timezone.now)
