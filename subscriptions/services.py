"""What happens to subscribers: plain functions that views, tasks and commands call."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction

from subscriptions import tasks
from subscriptions.models import Subscriber, Topic, email_normalize

SUPPRESSED = {Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED,
              Subscriber.Status.SUPPRESSED}


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

    FIELDS = ("interests", "authors", "frequency", "send_hour", "timezone",
              "papers_per_email", "min_upvotes")

    def apply(self, subscriber: Subscriber) -> None:
        for name in self.FIELDS:
            setattr(subscriber, name, getattr(self, name))

    @classmethod
    def of(cls, subscriber: Subscriber) -> "Preferences":
        return cls(topics=list(subscriber.topics.all()),
                   **{name: getattr(subscriber, name) for name in cls.FIELDS})


def _set_status(subscriber: Subscriber, status: str, now: datetime) -> None:
    subscriber.status = status
    subscriber.status_changed_at = now


@transaction.atomic
def subscriber_signup(*, email: str, preferences: Preferences, now: datetime) -> str:
    """Sign an address up, or tell its owner what they already have. Returns what happened
    (for logs and tests); the visitor sees the same page whatever it is."""
    subscriber = Subscriber.objects.select_for_update().filter(
        email=email_normalize(email)).first()
    if subscriber is not None and subscriber.status in SUPPRESSED:
        return "suppressed"  # bounced or complained: never mail it from a web form
    if subscriber is not None and subscriber.status == Subscriber.Status.ACTIVE:
        tasks.send_manage_link.delay_on_commit(subscriber.pk)
        return "already-active"
    if subscriber is None:
        subscriber = Subscriber(email=email)
    preferences.apply(subscriber)
    _set_status(subscriber, Subscriber.Status.PENDING, now)
    subscriber.save()
    subscriber.topics.set(preferences.topics)
    tasks.send_confirmation.delay_on_commit(subscriber.pk)
    return "confirmation-sent"


def subscriber_confirm(*, subscriber: Subscriber, ip: str | None, now: datetime) -> bool:
    """Pending -> active, recording consent. False if there was nothing to confirm."""
    updated = Subscriber.objects.filter(pk=subscriber.pk, status=Subscriber.Status.PENDING)\
        .update(status=Subscriber.Status.ACTIVE, status_changed_at=now, consent_at=now,
                consent_ip=ip)
    if updated:
        tasks.send_welcome.delay_on_commit(subscriber.pk)
    return bool(updated)


@transaction.atomic
def subscriber_update(*, subscriber: Subscriber, preferences: Preferences) -> None:
    preferences.apply(subscriber)
    subscriber.save()
    subscriber.topics.set(preferences.topics)


def subscriber_unsubscribe(*, subscriber: Subscriber, now: datetime) -> None:
    """Idempotent; a suppressed address stays suppressed."""
    Subscriber.objects.filter(
        pk=subscriber.pk, status__in=[Subscriber.Status.ACTIVE, Subscriber.Status.PENDING]
    ).update(status=Subscriber.Status.UNSUBSCRIBED, status_changed_at=now)


def subscriber_pause(*, subscriber: Subscriber, until: date | None) -> None:
    """No digests up to and including `until`; None resumes."""
    Subscriber.objects.filter(pk=subscriber.pk).update(paused_until=until)


def subscriber_send_link(*, email: str) -> str:
    """Mail the owner of `email` their link: the preferences link when active, the
    confirmation again when pending, nothing otherwise. The visitor sees the same page."""
    subscriber = Subscriber.objects.filter(email=email_normalize(email)).first()
    if subscriber is None:
        return "unknown"
    if subscriber.status == Subscriber.Status.ACTIVE:
        tasks.send_manage_link.delay_on_commit(subscriber.pk)
        return "manage-link-sent"
    if subscriber.status == Subscriber.Status.PENDING:
        tasks.send_confirmation.delay_on_commit(subscriber.pk)
        return "confirmation-sent"
    return "not-subscribed"


@transaction.atomic
def subscriber_import(*, email: str, preferences: Preferences, confirmed: bool,
                      now: datetime) -> bool:
    """Add an address an operator brings from another list. Confirmed rows count as opted in
    (the operator vouches for their consent); others get a confirmation mail. An address
    already here is left as it is. Returns whether it was added."""
    if Subscriber.objects.filter(email=email_normalize(email)).exists():
        return False
    subscriber = Subscriber(email=email)
    preferences.apply(subscriber)
    if confirmed:
        _set_status(subscriber, Subscriber.Status.ACTIVE, now)
        subscriber.consent_at = now
    subscriber.save()
    subscriber.topics.set(preferences.topics)
    if not confirmed:
        tasks.send_confirmation.delay_on_commit(subscriber.pk)
    return True


def subscriber_suppress(*, subscriber: Subscriber, reason: str, now: datetime) -> bool:
    """An operator stops all mail to an address, saying why."""
    return bool(Subscriber.objects.filter(pk=subscriber.pk).exclude(
        status=Subscriber.Status.SUPPRESSED).update(
        status=Subscriber.Status.SUPPRESSED, status_reason=reason[:300], status_changed_at=now))


def subscriber_unsuppress(*, subscriber: Subscriber, reason: str, now: datetime) -> bool:
    """Lift a suppression (an operator's, or a bounce or complaint the reader sorted out).
    A reader who had confirmed is active again; one who never did must confirm first."""
    if subscriber.status not in SUPPRESSED:
        return False
    status = Subscriber.Status.ACTIVE if subscriber.consent_at else Subscriber.Status.PENDING
    Subscriber.objects.filter(pk=subscriber.pk).update(
        status=status, status_reason=reason[:300], status_changed_at=now)
    if status == Subscriber.Status.PENDING:
        tasks.send_confirmation.delay_on_commit(subscriber.pk)
    return True


def subscriber_resend_confirmation(*, subscriber: Subscriber) -> bool:
    if subscriber.status != Subscriber.Status.PENDING:
        return False
    tasks.send_confirmation.delay_on_commit(subscriber.pk)
    return True
