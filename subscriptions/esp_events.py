"""What an ESP's own record says happened to a message, read from its webhook payload.

Anymail's normalized event type is too coarse to act on: it calls Postmark's SoftBounce (a
full mailbox) "bounced", like a HardBounce. So the decision reads the fields each ESP
documents (Postmark's `Type` and `Inactive`, Mailgun's `severity` and `reason`, ...) and
falls back to Anymail's type only for ESPs it does not know. Pure: no models, no settings.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    HARD_BOUNCE = "hard_bounce"  # the address will never take mail: suppress at once
    SOFT_BOUNCE = "soft_bounce"  # could not deliver this time (mailbox full, server down)
    COMPLAINT = "complaint"  # the reader marked a digest as spam
    UNSUBSCRIBE = "unsubscribe"  # the reader left through the ESP
    RESUBSCRIBE = "resubscribe"  # the ESP lifted its suppression: recorded only
    DELIVERED = "delivered"  # the receiving server took a message
    OTHER = "other"  # opens, clicks, problems with the message rather than the address


LABELS = {
    Kind.HARD_BOUNCE: "Hard bounce", Kind.SOFT_BOUNCE: "Soft bounce",
    Kind.COMPLAINT: "Complaint", Kind.UNSUBSCRIBE: "Unsubscribe at the ESP",
    Kind.RESUBSCRIBE: "Resubscribe at the ESP", Kind.DELIVERED: "Delivered",
    Kind.OTHER: "Other",
}


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    reported_as: str  # the ESP's own words, e.g. "SoftBounce", "failed permanent (bounce)"


def _text(value) -> str:
    return value if isinstance(value, str) else ""


# Postmark bounce Types (https://postmarkapp.com/developer/api/bounce-api#bounce-types).
# The others (AutoResponder, Blocked, DMARCPolicy, SpamNotification...) are about the
# message or the sender, not the mailbox, unless Postmark deactivated the address.
POSTMARK_HARD = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated"}
POSTMARK_SOFT = {"SoftBounce", "Transient", "DnsError"}
POSTMARK_BY_TYPE = {"SpamComplaint": Kind.COMPLAINT, "Unsubscribe": Kind.UNSUBSCRIBE,
                    "Subscribe": Kind.RESUBSCRIBE}
POSTMARK_SUPPRESSION = {"HardBounce": Kind.HARD_BOUNCE, "SpamComplaint": Kind.COMPLAINT,
                        "ManualSuppression": Kind.UNSUBSCRIBE}


def _postmark(event: Mapping) -> Verdict | None:
    record = _text(event.get("RecordType"))
    if record == "Delivery":
        return Verdict(Kind.DELIVERED, "Delivery")
    if record == "SubscriptionChange":
        if event.get("SuppressSending") is False:
            return Verdict(Kind.RESUBSCRIBE, "SubscriptionChange (suppression lifted)")
        if event.get("SuppressSending") is not True:
            return Verdict(Kind.OTHER, "SubscriptionChange")
        reason = _text(event.get("SuppressionReason"))
        kind = POSTMARK_SUPPRESSION.get(reason, Kind.UNSUBSCRIBE)
        return Verdict(kind, f"SubscriptionChange ({reason or 'no reason given'})")
    if record not in ("Bounce", "SpamComplaint"):
        return Verdict(Kind.OTHER, record or "no RecordType")
    bounce_type = _text(event.get("Type")) or record
    if bounce_type in POSTMARK_BY_TYPE:
        return Verdict(POSTMARK_BY_TYPE[bounce_type], bounce_type)
    if bounce_type in POSTMARK_HARD:
        return Verdict(Kind.HARD_BOUNCE, bounce_type)
    if event.get("Inactive") is True:  # Postmark itself stopped sending to the address
        return Verdict(Kind.HARD_BOUNCE, f"{bounce_type} (address deactivated)")
    if bounce_type in POSTMARK_SOFT:
        return Verdict(Kind.SOFT_BOUNCE, bounce_type)
    return Verdict(Kind.OTHER, bounce_type)


# Mailgun's permanent failures are hard bounces, except these reasons: "old" is Mailgun
# giving up after retrying temporary failures for hours, so still a soft bounce.
MAILGUN_PERMANENT = {"suppress-complaint": Kind.COMPLAINT,
                     "suppress-unsubscribe": Kind.UNSUBSCRIBE, "old": Kind.SOFT_BOUNCE}
MAILGUN_EVENTS = {"complained": Kind.COMPLAINT, "unsubscribed": Kind.UNSUBSCRIBE,
                  "delivered": Kind.DELIVERED}


def _mailgun(event: Mapping) -> Verdict | None:
    data = event.get("event-data")
    if not isinstance(data, Mapping):
        return None  # a legacy (form-encoded) webhook: Anymail's type decides
    name = _text(data.get("event"))
    if name != "failed":
        return Verdict(MAILGUN_EVENTS.get(name, Kind.OTHER), name or "no event")
    severity, reason = _text(data.get("severity")), _text(data.get("reason"))
    reported = f"failed {severity or 'of unknown severity'}" + (f" ({reason})" if reason else "")
    if severity == "temporary":
        return Verdict(Kind.SOFT_BOUNCE, reported)
    if severity == "permanent":
        return Verdict(MAILGUN_PERMANENT.get(reason, Kind.HARD_BOUNCE), reported)
    return Verdict(Kind.OTHER, reported)


# SendGrid: a "bounce" of type "blocked" is its soft bounce; "dropped" names a list it keeps.
SENDGRID_EVENTS = {"deferred": Kind.SOFT_BOUNCE, "spamreport": Kind.COMPLAINT,
                   "unsubscribe": Kind.UNSUBSCRIBE, "group_unsubscribe": Kind.UNSUBSCRIBE,
                   "group_resubscribe": Kind.RESUBSCRIBE, "delivered": Kind.DELIVERED}
SENDGRID_DROPPED = {"Bounced Address": Kind.HARD_BOUNCE, "Invalid": Kind.HARD_BOUNCE,
                    "Spam Reporting Address": Kind.COMPLAINT,
                    "Unsubscribed Address": Kind.UNSUBSCRIBE}


def _sendgrid(event: Mapping) -> Verdict | None:
    name = _text(event.get("event"))
    if name == "bounce":
        bounce_type = _text(event.get("type")) or "bounce"
        kind = Kind.SOFT_BOUNCE if bounce_type in ("blocked", "expired") else Kind.HARD_BOUNCE
        return Verdict(kind, f"bounce ({bounce_type})")
    if name == "dropped":
        reason = _text(event.get("reason"))
        return Verdict(SENDGRID_DROPPED.get(reason, Kind.OTHER), f"dropped ({reason})")
    return Verdict(SENDGRID_EVENTS.get(name, Kind.OTHER), name or "no event")


def _amazon_ses(event: Mapping) -> Verdict | None:
    name = _text(event.get("eventType")) or _text(event.get("notificationType"))
    if name == "Bounce":
        bounce = event.get("bounce")
        bounce = bounce if isinstance(bounce, Mapping) else {}
        bounce_type = _text(bounce.get("bounceType"))
        reported = f"Bounce {bounce_type}/{_text(bounce.get('bounceSubType'))}"
        kind = Kind.HARD_BOUNCE if bounce_type == "Permanent" else Kind.SOFT_BOUNCE
        return Verdict(kind, reported)
    if name == "Complaint":
        complaint = event.get("complaint")
        feedback = _text(complaint.get("complaintFeedbackType")) if isinstance(
            complaint, Mapping) else ""
        kind = Kind.OTHER if feedback == "not-spam" else Kind.COMPLAINT
        return Verdict(kind, f"Complaint ({feedback})" if feedback else "Complaint")
    if name == "DeliveryDelay":
        return Verdict(Kind.SOFT_BOUNCE, name)
    if name == "Delivery":
        return Verdict(Kind.DELIVERED, name)
    return Verdict(Kind.OTHER, name or "no eventType")


ESPS: dict[str, Callable[[Mapping], Verdict | None]] = {
    "Postmark": _postmark, "Mailgun": _mailgun, "SendGrid": _sendgrid,
    "Amazon SES": _amazon_ses,
}

# For ESPs not read above: Anymail's normalized event type.
ANYMAIL_TYPES = {"bounced": Kind.HARD_BOUNCE, "rejected": Kind.HARD_BOUNCE,
                 "deferred": Kind.SOFT_BOUNCE, "complained": Kind.COMPLAINT,
                 "unsubscribed": Kind.UNSUBSCRIBE, "subscribed": Kind.RESUBSCRIBE,
                 "delivered": Kind.DELIVERED}


def esp_event_classify(*, esp_name: str, esp_event, event_type: str) -> Verdict:
    """The kind of a tracking event, from the ESP's payload (Anymail's `esp_event`) when the
    ESP is one this module reads, else from Anymail's `event_type`."""
    read = ESPS.get(esp_name)
    verdict = read(esp_event) if read and isinstance(esp_event, Mapping) else None
    return verdict or Verdict(ANYMAIL_TYPES.get(event_type, Kind.OTHER), event_type)
