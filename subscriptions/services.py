"""What a reader chooses, and changing it: plain functions that views, tasks and commands call.
Everything about consent (sign-up, confirmation, unsubscribing, suppression) is in
subscriptions.consent."""

from dataclasses import dataclass, field

from django.db import transaction

from subscriptions.models import Subscriber, Topic


@dataclass
class Preferences:
    """Everything a reader chooses at signup or on the preferences page."""

    topics: list[Topic] = field(default_factory=list)
    interests: str = ""
    authors: str = ""
    frequency: str = Subscriber.Frequency.DAILY
    send_hour: int = 8
    timezone: str = "UTC"
    papers_per_email: int = 10
    min_upvotes: int = 0
    description: str = ""
    seed_papers: str = ""  # arXiv ids, one per line
    recommendations: bool = True

    FIELDS = ("interests", "authors", "frequency", "send_hour", "timezone",
              "papers_per_email", "min_upvotes", "description", "seed_papers",
              "recommendations")

    def apply(self, subscriber: Subscriber) -> None:
        for name in self.FIELDS:
            setattr(subscriber, name, getattr(self, name))

    @classmethod
    def of(cls, subscriber: Subscriber) -> "Preferences":
        return cls(topics=list(subscriber.topics.all()),
                   **{name: getattr(subscriber, name) for name in cls.FIELDS})

    def to_json(self) -> dict:
        """As a sign-up request stores them until its owner confirms (topics by slug)."""
        return {"topics": [topic.slug for topic in self.topics],
                **{name: getattr(self, name) for name in self.FIELDS}}

    @classmethod
    def from_json(cls, data: dict) -> "Preferences":
        """Back from a stored request; a topic removed from the catalog since is dropped."""
        topics = list(Topic.objects.filter(slug__in=data.get("topics", [])))
        return cls(topics=topics, **{name: data[name] for name in cls.FIELDS if name in data})


@transaction.atomic
def subscriber_update(*, subscriber: Subscriber, preferences: Preferences) -> None:
    preferences.apply(subscriber)
    subscriber.save()
    subscriber.topics.set(preferences.topics)
