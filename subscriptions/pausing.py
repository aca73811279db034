"""Pausing: a reader stops their digests for a while and stays subscribed. No digest is sent
up to and including the day the pause ends (mailable_q reads paused_until), and digests
start again on their own the day after, or at once when the reader resumes. Not a change of
consent, so the status stays as it is; written to the reader's history all the same, like
every act on what they get."""

import zoneinfo
from datetime import date, datetime, timedelta

from subscriptions.consent import READER, history_note
from subscriptions.models import Subscriber

# What a reader may choose: (how it reads, days).
PAUSES = {"1w": ("one week", 7), "2w": ("two weeks", 14), "1m": ("a month", 30)}


def reader_today(subscriber: Subscriber, *, now: datetime) -> date:
    """The reader's date, which their editions are dated by."""
    return now.astimezone(zoneinfo.ZoneInfo(subscriber.timezone)).date()


def paused_until(subscriber: Subscriber, *, now: datetime) -> date | None:
    """The last day of the reader's pause, or None when they are not paused."""
    until = subscriber.paused_until
    return until if until and until >= reader_today(subscriber, now=now) else None


def subscriber_pause(*, subscriber: Subscriber, choice: str, now: datetime,
                     where: str) -> date:
    """Pause for one of PAUSES from today (the reader's); returns the pause's last day."""
    label, days = PAUSES[choice]
    until = reader_today(subscriber, now=now) + timedelta(days=days)
    Subscriber.objects.filter(pk=subscriber.pk).update(paused_until=until)
    subscriber.paused_until = until
    history_note(subscriber=subscriber, actor=READER, action="paused", now=now,
                 reason=f"paused for {label}, until {until.isoformat()}, from {where}")
    return until


def subscriber_resume(*, subscriber: Subscriber, now: datetime, where: str) -> bool:
    """End a pause now. False (nothing written) when the reader was not paused."""
    if paused_until(subscriber, now=now) is None:
        return False
    Subscriber.objects.filter(pk=subscriber.pk).update(paused_until=None)
    subscriber.paused_until = None
    history_note(subscriber=subscriber, actor=READER, action="resumed", now=now,
                 reason=f"resumed from {where}")
    return True
