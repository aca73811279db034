"""Anymail tracking events (bounces, complaints, ESP-side unsubscribes) suppress addresses.

Anymail checks the webhook's credentials (ANYMAIL["WEBHOOK_SECRET"] basic auth, and the
ESP's own signature where it has one) before the signal fires. What an event means is read
from the ESP's payload (subscriptions/esp_events.py), not from Anymail's coarser type.
"""

import logging
from datetime import datetime, timedelta

from anymail.signals import tracking
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.dispatch import receiver
from django.utils import timezone

from config.logs import log_event
from subscriptions.consent import subscriber_status_change
from subscriptions.esp_events import Kind, esp_event_classify
from subscriptions.models import MailEvent, Subscriber, email_normalize
from subscriptions.teams.membership import teams_address_event

log = logging.getLogger(__name__)

# Kinds that stop all mail to the address at once. A soft bounce only counts towards
# settings.SOFT_BOUNCE_LIMIT; a resubscribe at the ESP is recorded, never acted on (only
# the reader's own opt-in makes them active again).
SUPPRESSING = {
    Kind.HARD_BOUNCE: Subscriber.Status.BOUNCED,
    Kind.COMPLAINT: Subscriber.Status.COMPLAINED,
    Kind.UNSUBSCRIBE: Subscriber.Status.UNSUBSCRIBED,
}


def _suppress(*, subscriber: Subscriber, status: str, esp_name: str, action: str, reason: str,
              when: datetime) -> bool:
    """The one place an ESP event changes a reader's status, written to their history. Only
    a reader still mailed (active) changes: an unsubscribed or suppressed one stays so."""
    return subscriber_status_change(
        subscriber=subscriber, new_status=status, actor=f"ESP ({esp_name})", action=action,
        reason=reason, now=when, only_from={Subscriber.Status.ACTIVE})


def subscriber_soft_bounce_days(*, subscriber: Subscriber, until: datetime) -> int:
    """Distinct days with a soft bounce in the SOFT_BOUNCE_WINDOW_DAYS up to `until`, after
    the last message the ESP delivered to the reader (a delivery resets the count)."""
    events = MailEvent.objects.filter(subscriber=subscriber).annotate(
        at=Coalesce("occurred_at", "received_at")).filter(at__lte=until)
    soft = events.filter(kind=Kind.SOFT_BOUNCE,
                         at__gte=until - timedelta(days=settings.SOFT_BOUNCE_WINDOW_DAYS))
    delivered = events.filter(kind=Kind.DELIVERED).aggregate(last=Max("at"))["last"]
    if delivered is not None:
        soft = soft.filter(at__gt=delivered)
    return len({timezone.localtime(at).date() for at in soft.values_list("at", flat=True)})


def mail_event_record(*, event_id: str, event_type: str, kind: Kind, esp_name: str,
                      reported_as: str, detail: str, recipient: str, message_id: str,
                      occurred_at: datetime | None) -> str:
    """Store an ESP event once, then act on its kind. Returns what happened (for the log)."""
    subscriber = Subscriber.objects.filter(email=email_normalize(recipient or "")).first()
    detail = (detail or "").strip()
    try:
        with transaction.atomic():
            event = MailEvent.objects.create(
                event_id=event_id[:200], event_type=event_type[:32], kind=kind,
                subscriber=subscriber, recipient=(recipient or "")[:254],
                esp_message_id=(message_id or "")[:200], occurred_at=occurred_at,
                description=f"{reported_as}: {detail}"[:2000] if detail else reported_as)
    except IntegrityError:
        return "duplicate"
    when = event.occurred_at or event.received_at
    if kind in SUPPRESSING:  # a team's address too: its digest stops (subscriptions.teams)
        teams_address_event(address=recipient or "", unsubscribed=kind == Kind.UNSUBSCRIBE,
                            now=when)
    if subscriber is None:
        return "recorded"
    said = f": {detail}" if detail else ""
    if kind in SUPPRESSING:
        reason = f"{esp_name} {reported_as}{said}"
        status = SUPPRESSING[kind]
    elif kind == Kind.SOFT_BOUNCE:
        # Counted after the row is committed, so of two soft bounces arriving together the
        # later one to commit sees both.
        days = subscriber_soft_bounce_days(subscriber=subscriber, until=when)
        if days < settings.SOFT_BOUNCE_LIMIT:
            return f"soft bounce {days} of {settings.SOFT_BOUNCE_LIMIT}"
        reason = (f"{esp_name} {reported_as} on {days} days within "
                  f"{settings.SOFT_BOUNCE_WINDOW_DAYS} days{said}")
        status = Subscriber.Status.BOUNCED
    else:
        return "recorded"
    changed = _suppress(subscriber=subscriber, status=status, esp_name=esp_name,
                        action=reported_as, reason=reason, when=when)
    return f"suppressed ({status})" if changed else "recorded (not mailed already)"


@receiver(tracking)
def on_tracking_event(sender, event, esp_name, **kwargs):
    verdict = esp_event_classify(esp_name=esp_name, esp_event=event.esp_event,
                                 event_type=event.event_type)
    # Some ESPs give no id for some events: derive a stable one so retries still dedupe.
    event_id = event.event_id or ":".join(str(part) for part in (
        esp_name, event.event_type, event.message_id, event.recipient, event.timestamp))
    outcome = mail_event_record(
        event_id=f"{esp_name}:{event_id}", event_type=event.event_type, kind=verdict.kind,
        esp_name=esp_name, reported_as=verdict.reported_as,
        detail=event.mta_response or event.description or "", recipient=event.recipient,
        message_id=event.message_id, occurred_at=event.timestamp)
    log_event(log, logging.INFO, "Received a tracking event", esp=esp_name,
              event=verdict.reported_as, recipient=event.recipient, outcome=outcome)
