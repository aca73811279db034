"""Anymail tracking events (bounces, complaints, ESP-side unsubscribes) suppress addresses.

Anymail checks the webhook's basic-auth credentials (ANYMAIL["WEBHOOK_SECRET"]) before the
signal fires; config/urls.py mounts the webhook URLs only when a secret is set.
"""

import logging

from anymail.signals import tracking
from django.db import IntegrityError, transaction
from django.dispatch import receiver

from config.logs import log_event
from subscriptions.models import MailEvent, Subscriber, email_normalize

log = logging.getLogger(__name__)

# Anymail's normalized event types that stop all mail to the address. "deferred" (a soft
# bounce) is only counted.
SUPPRESSING = {
    "bounced": Subscriber.Status.BOUNCED,
    "rejected": Subscriber.Status.BOUNCED,
    "complained": Subscriber.Status.COMPLAINED,
    "unsubscribed": Subscriber.Status.UNSUBSCRIBED,
}
STAYS_MAILABLE = {Subscriber.Status.ACTIVE, Subscriber.Status.PENDING}


def mail_event_record(*, event_id: str, event_type: str, recipient: str, message_id: str,
                      description: str, occurred_at) -> str:
    """Store an ESP event once and suppress its address when it calls for it."""
    subscriber = Subscriber.objects.filter(email=email_normalize(recipient or "")).first()
    try:
        with transaction.atomic():
            MailEvent.objects.create(
                event_id=event_id[:200], event_type=event_type[:32], subscriber=subscriber,
                recipient=(recipient or "")[:254], esp_message_id=(message_id or "")[:200],
                description=(description or "")[:2000], occurred_at=occurred_at)
    except IntegrityError:
        return "duplicate"
    if subscriber is None or event_type not in SUPPRESSING:
        return "recorded"
    Subscriber.objects.filter(pk=subscriber.pk, status__in=STAYS_MAILABLE).update(
        status=SUPPRESSING[event_type], status_changed_at=occurred_at or subscriber.updated_at)
    return "suppressed"


@receiver(tracking)
def on_tracking_event(sender, event, esp_name, **kwargs):
    # Some ESPs give no id for some events: derive a stable one so retries still dedupe.
    event_id = event.event_id or ":".join(str(part) for part in (
        esp_name, event.event_type, event.message_id, event.recipient, event.timestamp))
    outcome = mail_event_record(
        event_id=f"{esp_name}:{event_id}", event_type=event.event_type,
        recipient=event.recipient, message_id=event.message_id,
        description=event.description or event.mta_response or "",
        occurred_at=event.timestamp)
    log_event(log, logging.INFO, "Received a tracking event", esp=esp_name,
              event=event.event_type, recipient=event.recipient, outcome=outcome)
