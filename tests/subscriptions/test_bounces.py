"""ESP tracking webhooks posted as Postmark and Mailgun send them (tests/data/webhooks/), with
their real credentials: hard bounces and complaints suppress at once, soft bounces only on the
third distinct day within 30 days, and a delivery starts the count again."""

import base64
import hashlib
import hmac
import itertools
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.urls import reverse

from subscriptions.models import MailEvent, Subscriber
from tests.delivery_fixtures import make_reader
from tests.web import read_page

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[1] / "data" / "webhooks"
SECRET = "hook-user:hook-password"
SIGNING_KEY = "key-mailgun-webhook-signing-0123456789"
DAY = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
AUTH = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(SECRET.encode()).decode()}
bounce_ids = itertools.count(900_000_001)


@pytest.fixture
def hooks(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET,
                        "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


@pytest.fixture
def ada(hooks):
    return make_reader("ada@example.org")


def payload(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


def postmark_body(name: str, *, at: datetime | None = None, **fields) -> dict:
    """A Postmark payload; each bounce gets a new ID, as each one Postmark sends has."""
    body = payload(f"postmark_{name}")
    if "ID" in body:
        body["ID"] = next(bounce_ids)
    for stamp in ("BouncedAt", "ChangedAt", "DeliveredAt"):
        if at is not None and stamp in body:
            body[stamp] = at.isoformat().replace("+00:00", "Z")
    body.update(fields)
    return body


def post_postmark(client, body: dict) -> None:
    response = client.post("/anymail/postmark/tracking/", json.dumps(body),
                           content_type="application/json", **AUTH)
    assert response.status_code == 200


def postmark(client, name: str, *, at: datetime | None = None, **fields) -> dict:
    body = postmark_body(name, at=at, **fields)
    post_postmark(client, body)
    return body


def mailgun(client, name: str, *, at: datetime | None = None, key: str = SIGNING_KEY,
            **event_fields) -> int:
    """Post a Mailgun payload signed as Mailgun signs it: HMAC-SHA256 of timestamp + token."""
    body = payload(f"mailgun_{name}")
    body["event-data"].update(event_fields)
    if at is not None:
        body["event-data"]["timestamp"] = at.timestamp()
    timestamp, token = str(int(body["event-data"]["timestamp"])), secrets.token_hex(25)
    body["signature"] = {"timestamp": timestamp, "token": token, "signature": hmac.new(
        key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()}
    return client.post("/anymail/mailgun/tracking/", json.dumps(body),
                       content_type="application/json", **AUTH).status_code


def state(reader: Subscriber) -> tuple[str, str]:
    """The reader's status, and the reason of the last change in their history."""
    reader.refresh_from_db()
    latest = reader.history.first()
    return reader.status, latest.reason if latest else ""


def kinds(reader: Subscriber) -> list[str]:
    return list(reader.mail_events.order_by("occurred_at").values_list("kind", flat=True))


# --- Postmark -------------------------------------------------------------------------


def test_a_postmark_hard_bounce_bounces_the_reader_at_once_saying_what_postmark_said(
        client, ada):
    postmark(client, "hard_bounce")
    assert state(ada) == ("bounced", "Postmark HardBounce: smtp;550 5.1.1 The email account "
                                     "that you tried to reach does not exist.")
    assert ada.status_changed_at == datetime(2026, 11, 21, 8, 0, 12, 907025, tzinfo=UTC)
    event = ada.mail_events.get()
    assert (event.kind, event.event_type) == ("hard_bounce", "bounced")


@pytest.mark.parametrize(("name", "fields", "status", "reason"), [
    ("spam_complaint", {}, "complained", "Postmark SpamComplaint: Feedback loop report from "
                                         "the recipient's mailbox provider"),
    ("subscription_change", {}, "unsubscribed", "Postmark SubscriptionChange "
                                                "(ManualSuppression)"),
    ("subscription_change", {"SuppressionReason": "HardBounce"}, "bounced",
     "Postmark SubscriptionChange (HardBounce)"),
    # A bounce type that is not a hard bounce, but after which Postmark deactivated the address.
    ("hard_bounce", {"Type": "Blocked", "TypeCode": 100006, "Details": "smtp;554 blocked"},
     "bounced", "Postmark Blocked (address deactivated): smtp;554 blocked"),
])
def test_complaints_and_postmark_suppressions_act_at_once(client, ada, name, fields, status,
                                                          reason):
    postmark(client, name, **fields)
    assert state(ada) == (status, reason)


def test_one_soft_bounce_is_stored_and_counted_but_the_reader_stays_active(client, ada):
    postmark(client, "soft_bounce")
    assert state(ada) == ("active", "")
    event = ada.mail_events.get()
    # Anymail calls Postmark's SoftBounce "bounced", like a hard one; Postmark's Type decides.
    assert (event.kind, event.event_type) == ("soft_bounce", "bounced")
    assert event.description == ("SoftBounce: smtp;452 4.2.2 The email account that you tried "
                                 "to reach is over quota.")


def test_a_transient_bounce_counts_as_a_soft_bounce(client, ada):
    postmark(client, "transient")
    assert state(ada) == ("active", "")
    assert kinds(ada) == ["soft_bounce"]


def test_soft_bounces_on_three_distinct_days_within_30_bounce_the_reader(client, ada):
    postmark(client, "soft_bounce", at=DAY)
    postmark(client, "transient", at=DAY + timedelta(days=12))
    assert state(ada)[0] == "active"
    postmark(client, "soft_bounce", at=DAY + timedelta(days=29))
    assert state(ada) == ("bounced", "Postmark SoftBounce on 3 days within 30 days: smtp;452 "
                                     "4.2.2 The email account that you tried to reach is over "
                                     "quota.")
    assert kinds(ada) == ["soft_bounce"] * 3


def test_three_soft_bounces_on_the_same_day_leave_the_reader_active(client, ada):
    for hour in (0, 9, 23):
        postmark(client, "soft_bounce", at=DAY.replace(hour=hour))
    assert state(ada) == ("active", "")
    assert kinds(ada) == ["soft_bounce"] * 3


def test_soft_bounces_spread_over_more_than_30_days_leave_the_reader_active(client, ada):
    for day in (0, 16, 32):
        postmark(client, "soft_bounce", at=DAY + timedelta(days=day))
    assert state(ada)[0] == "active"
    postmark(client, "soft_bounce", at=DAY + timedelta(days=40))  # days 16, 32 and 40
    assert state(ada)[0] == "bounced"


def test_a_delivery_starts_the_soft_bounce_count_again(client, ada):
    postmark(client, "soft_bounce", at=DAY)
    postmark(client, "soft_bounce", at=DAY + timedelta(days=1))
    postmark(client, "delivery", at=DAY + timedelta(days=2))
    postmark(client, "soft_bounce", at=DAY + timedelta(days=3))
    postmark(client, "soft_bounce", at=DAY + timedelta(days=4))
    assert state(ada)[0] == "active"
    postmark(client, "soft_bounce", at=DAY + timedelta(days=5))
    assert state(ada)[0] == "bounced"
    assert kinds(ada) == ["soft_bounce"] * 2 + ["delivered"] + ["soft_bounce"] * 3


def test_the_soft_bounce_limit_and_window_are_settings(client, ada, settings):
    settings.SOFT_BOUNCE_LIMIT, settings.SOFT_BOUNCE_WINDOW_DAYS = 2, 7
    postmark(client, "soft_bounce", at=DAY)
    postmark(client, "soft_bounce", at=DAY + timedelta(days=8))
    assert state(ada)[0] == "active"
    postmark(client, "soft_bounce", at=DAY + timedelta(days=9))
    assert state(ada) == ("bounced", "Postmark SoftBounce on 2 days within 7 days: smtp;452 "
                                     "4.2.2 The email account that you tried to reach is over "
                                     "quota.")


def test_lifting_a_postmark_suppression_makes_no_one_active_again(client, ada):
    bob = make_reader("bob@example.org")
    postmark(client, "subscription_change", at=DAY)
    lifted = {"SuppressSending": False, "SuppressionReason": None}
    postmark(client, "subscription_change", at=DAY + timedelta(days=1), **lifted)
    postmark(client, "subscription_change", at=DAY, Recipient="bob@example.org", **lifted)
    assert state(ada) == ("unsubscribed", "Postmark SubscriptionChange (ManualSuppression)")
    assert kinds(ada) == ["unsubscribe", "resubscribe"]
    assert state(bob) == ("active", "") and kinds(bob) == ["resubscribe"]


def test_a_reader_who_left_stays_unsubscribed_whatever_the_esp_reports(client, ada):
    Subscriber.objects.filter(pk=ada.pk).update(status="unsubscribed")
    postmark(client, "hard_bounce")
    postmark(client, "spam_complaint")
    assert state(ada) == ("unsubscribed", "")
    assert kinds(ada) == ["hard_bounce", "complaint"]


def test_an_event_the_esp_sends_again_is_stored_once(client, ada):
    soft = postmark(client, "soft_bounce", at=DAY)
    delivery = postmark(client, "delivery", at=DAY)  # a Delivery has no ID: one is derived
    for body in (soft, soft, delivery):
        post_postmark(client, body)
    assert kinds(ada) == ["soft_bounce", "delivered"]
    assert state(ada)[0] == "active"


def test_events_for_unknown_addresses_are_stored_and_nothing_else(client, ada):
    postmark(client, "hard_bounce", Email="nobody@example.org")
    event = MailEvent.objects.get()
    assert (event.recipient, event.subscriber, event.kind) == (
        "nobody@example.org", None, "hard_bounce")
    assert list(Subscriber.objects.values_list("email", "status")) == [
        ("ada@example.org", "active")]


# --- Mailgun --------------------------------------------------------------------------


def test_a_mailgun_permanent_failure_bounces_the_reader_at_once(client, ada):
    assert mailgun(client, "failed_permanent") == 200
    assert state(ada) == ("bounced", "Mailgun failed permanent (bounce): 5.1.1 The email "
                                     "account that you tried to reach does not exist.")
    assert kinds(ada) == ["hard_bounce"]


def test_mailgun_temporary_failures_bounce_the_reader_on_the_third_distinct_day(client, ada):
    for at in (DAY, DAY + timedelta(hours=6), DAY + timedelta(days=3)):
        assert mailgun(client, "failed_temporary", at=at) == 200
    assert state(ada) == ("active", "")
    mailgun(client, "failed_temporary", at=DAY + timedelta(days=6))
    assert state(ada) == ("bounced", "Mailgun failed temporary (generic) on 3 days within 30 "
                                     "days: 4.2.2 The email account that you tried to reach is "
                                     "over quota.")
    assert kinds(ada) == ["soft_bounce"] * 4


def test_a_mailgun_delivery_starts_the_count_again(client, ada):
    mailgun(client, "failed_temporary", at=DAY)
    mailgun(client, "failed_temporary", at=DAY + timedelta(days=1))
    mailgun(client, "delivered", at=DAY + timedelta(days=2))
    mailgun(client, "failed_temporary", at=DAY + timedelta(days=3))
    assert state(ada)[0] == "active"
    assert kinds(ada) == ["soft_bounce", "soft_bounce", "delivered", "soft_bounce"]


@pytest.mark.parametrize(("name", "status", "reason"), [
    ("complained", "complained", "Mailgun complained"),
    ("unsubscribed", "unsubscribed", "Mailgun unsubscribed"),
])
def test_a_mailgun_complaint_or_unsubscribe_acts_at_once(client, ada, name, status, reason):
    assert mailgun(client, name) == 200
    assert state(ada) == (status, reason)


def test_a_mailgun_webhook_signed_with_another_key_is_refused(client, ada):
    assert mailgun(client, "failed_permanent", key="someone-else") == 400
    assert state(ada) == ("active", "") and MailEvent.objects.count() == 0


# --- What operators see -----------------------------------------------------------------


def test_the_dashboard_counts_hard_and_soft_bounces_and_complaints(client, ada, staff_client):
    for email in ("bob@example.org", "cy@example.org"):
        make_reader(email)
    postmark(client, "hard_bounce")
    postmark(client, "soft_bounce", Email="bob@example.org")
    postmark(client, "transient", Email="bob@example.org")
    mailgun(client, "complained", recipient="cy@example.org")
    page = read_page(staff_client.get(reverse("admin-dashboard")).content.decode())
    assert "Today 30 days Hard bounces 1 1 Soft bounces 2 2 Complaints 1 1" in page.text
