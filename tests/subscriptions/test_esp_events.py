"""What each ESP's own record says an event was: one row per payload shape the ESPs document."""

import json
from pathlib import Path

import pytest

from subscriptions.esp_events import Kind, esp_event_classify

DATA = Path(__file__).resolve().parents[1] / "data" / "webhooks"


def postmark(name: str, **fields) -> dict:
    return {**json.loads((DATA / f"postmark_{name}.json").read_text()), **fields}


def mailgun(name: str, **event_fields) -> dict:
    body = json.loads((DATA / f"mailgun_{name}.json").read_text())
    body["event-data"].update(event_fields)
    return body


HARD, SOFT = Kind.HARD_BOUNCE, Kind.SOFT_BOUNCE
COMPLAINT, UNSUBSCRIBE, RESUBSCRIBE = Kind.COMPLAINT, Kind.UNSUBSCRIBE, Kind.RESUBSCRIBE
DELIVERED, OTHER = Kind.DELIVERED, Kind.OTHER

# (ESP, its payload, Anymail's event_type for it, the kind, the ESP's words)
CASES = [
    ("Postmark", postmark("hard_bounce"), "bounced", HARD, "HardBounce"),
    ("Postmark", postmark("soft_bounce"), "bounced", SOFT, "SoftBounce"),
    ("Postmark", postmark("transient"), "deferred", SOFT, "Transient"),
    ("Postmark", postmark("transient", Type="DnsError", TypeCode=256), "deferred", SOFT,
     "DnsError"),
    ("Postmark", postmark("hard_bounce", Type="BadEmailAddress", TypeCode=100000),
     "rejected", HARD, "BadEmailAddress"),
    ("Postmark", postmark("hard_bounce", Type="Blocked", TypeCode=100006, Inactive=False),
     "rejected", OTHER, "Blocked"),
    ("Postmark", postmark("hard_bounce", Type="Blocked", TypeCode=100006), "rejected", HARD,
     "Blocked (address deactivated)"),
    ("Postmark", postmark("soft_bounce", Inactive=True), "bounced", HARD,
     "SoftBounce (address deactivated)"),
    ("Postmark", postmark("transient", Type="AutoResponder", TypeCode=64), "autoresponded",
     OTHER, "AutoResponder"),
    ("Postmark", postmark("transient", Type="SpamNotification", TypeCode=512), "complained",
     OTHER, "SpamNotification"),
    ("Postmark", postmark("hard_bounce", Type="Unsubscribe", TypeCode=16), "unsubscribed",
     UNSUBSCRIBE, "Unsubscribe"),
    ("Postmark", postmark("spam_complaint"), "complained", COMPLAINT, "SpamComplaint"),
    ("Postmark", postmark("subscription_change"), "unsubscribed", UNSUBSCRIBE,
     "SubscriptionChange (ManualSuppression)"),
    ("Postmark", postmark("subscription_change", SuppressionReason="HardBounce"), "bounced",
     HARD, "SubscriptionChange (HardBounce)"),
    ("Postmark", postmark("subscription_change", SuppressionReason="SpamComplaint"),
     "complained", COMPLAINT, "SubscriptionChange (SpamComplaint)"),
    ("Postmark", postmark("subscription_change", SuppressSending=False, SuppressionReason=None),
     "subscribed", RESUBSCRIBE, "SubscriptionChange (suppression lifted)"),
    ("Postmark", postmark("delivery"), "delivered", DELIVERED, "Delivery"),
    ("Postmark", {"RecordType": "Open", "Recipient": "ada@example.org"}, "opened", OTHER,
     "Open"),
    ("Mailgun", mailgun("failed_permanent"), "bounced", HARD, "failed permanent (bounce)"),
    ("Mailgun", mailgun("failed_permanent", reason="suppress-bounce"), "bounced", HARD,
     "failed permanent (suppress-bounce)"),
    ("Mailgun", mailgun("failed_permanent", reason="suppress-complaint"), "bounced",
     COMPLAINT, "failed permanent (suppress-complaint)"),
    ("Mailgun", mailgun("failed_permanent", reason="suppress-unsubscribe"), "bounced",
     UNSUBSCRIBE, "failed permanent (suppress-unsubscribe)"),
    ("Mailgun", mailgun("failed_permanent", reason="old"), "bounced", SOFT,
     "failed permanent (old)"),
    ("Mailgun", mailgun("failed_temporary"), "deferred", SOFT, "failed temporary (generic)"),
    ("Mailgun", mailgun("failed_temporary", reason="greylisted"), "deferred", SOFT,
     "failed temporary (greylisted)"),
    ("Mailgun", mailgun("complained"), "complained", COMPLAINT, "complained"),
    ("Mailgun", mailgun("unsubscribed"), "unsubscribed", UNSUBSCRIBE, "unsubscribed"),
    ("Mailgun", mailgun("delivered"), "delivered", DELIVERED, "delivered"),
    ("Mailgun", mailgun("delivered", event="opened"), "opened", OTHER, "opened"),
    ("SendGrid", {"event": "bounce", "type": "bounce", "status": "5.1.1",
                  "reason": "550 5.1.1 unknown user"}, "bounced", HARD, "bounce (bounce)"),
    ("SendGrid", {"event": "bounce", "type": "blocked", "status": "4.2.2",
                  "reason": "452 mailbox full"}, "bounced", SOFT, "bounce (blocked)"),
    ("SendGrid", {"event": "deferred", "attempt": "3", "response": "400 try again later"},
     "deferred", SOFT, "deferred"),
    ("SendGrid", {"event": "dropped", "reason": "Bounced Address"}, "rejected", HARD,
     "dropped (Bounced Address)"),
    ("SendGrid", {"event": "spamreport"}, "complained", COMPLAINT, "spamreport"),
    ("SendGrid", {"event": "group_resubscribe", "asm_group_id": 1}, "subscribed",
     RESUBSCRIBE, "group_resubscribe"),
    ("Amazon SES", {"eventType": "Bounce", "bounce": {
        "bounceType": "Permanent", "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": "ada@example.org"}]}}, "bounced", HARD,
     "Bounce Permanent/General"),
    ("Amazon SES", {"notificationType": "Bounce", "bounce": {
        "bounceType": "Transient", "bounceSubType": "MailboxFull",
        "bouncedRecipients": [{"emailAddress": "ada@example.org"}]}}, "bounced", SOFT,
     "Bounce Transient/MailboxFull"),
    ("Amazon SES", {"eventType": "Complaint", "complaint": {
        "complaintFeedbackType": "abuse",
        "complainedRecipients": [{"emailAddress": "ada@example.org"}]}}, "complained",
     COMPLAINT, "Complaint (abuse)"),
    ("Amazon SES", {"eventType": "DeliveryDelay", "deliveryDelay": {
        "delayType": "MailboxFull"}}, "unknown", SOFT, "DeliveryDelay"),
    ("Amazon SES", {"eventType": "Delivery", "delivery": {
        "recipients": ["ada@example.org"]}}, "delivered", DELIVERED, "Delivery"),
    # An ESP read from Anymail's type only, and payloads an ESP never sends.
    ("Brevo", {"event": "soft_bounce"}, "deferred", SOFT, "deferred"),
    ("Brevo", {"event": "hard_bounce"}, "bounced", HARD, "bounced"),
    ("Postmark", {"RecordType": ["junk"], "Type": 7}, "unknown", OTHER, "no RecordType"),
    ("Mailgun", {"event-data": {"event": "failed", "severity": None}}, "bounced", OTHER,
     "failed of unknown severity"),
]


@pytest.mark.parametrize(("esp_name", "esp_event", "event_type", "kind", "reported_as"), CASES,
                         ids=[f"{c[0]}-{c[4]}" for c in CASES])
def test_each_payload_is_read_as_its_esp_means_it(esp_name, esp_event, event_type, kind,
                                                  reported_as):
    verdict = esp_event_classify(esp_name=esp_name, esp_event=esp_event,
                                 event_type=event_type)
    assert (verdict.kind, verdict.reported_as) == (kind, reported_as)


def test_a_legacy_mailgun_form_post_falls_back_to_anymails_type():
    from django.http import QueryDict

    form = QueryDict("event=bounced&recipient=ada%40example.org&code=550")
    verdict = esp_event_classify(esp_name="Mailgun", esp_event=form, event_type="bounced")
    assert verdict.kind == Kind.HARD_BOUNCE
