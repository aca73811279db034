"""The tracking webhooks that suppress addresses, as Postmark posts them: once per event,
only with the right credentials, a 500 (so the ESP retries) when storing fails, and a
suppressed reader queued earlier is never mailed (each ESP's payloads: test_bounces.py)."""

import base64
import json

import pytest
from django.db import connection
from django.test import Client

from digest.models import Delivery
from subscriptions.models import MailEvent, Subscriber
from tests.delivery_fixtures import EDITION, make_reader
from tests.digest.deliver.test_esp_sending import send

pytestmark = pytest.mark.django_db
WEBHOOK = "/anymail/postmark/tracking/"
SECRET = "hook-user:hook-password"


def postmark_event(**fields) -> str:
    event = {"RecordType": "Bounce", "Type": "HardBounce", "ID": 4242,
             "MessageID": "00000000-0000-0000-0000-000000000001",
             "Email": "ada@example.org", "BouncedAt": "2026-11-21T08:00:00Z",
             "Description": "The server was unable to deliver your message",
             "Details": "smtp;550 5.1.1 The email account does not exist"}
    event.update(fields)
    return json.dumps(event)


def post_event(client, body, secret=SECRET):
    headers = {}
    if secret:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(secret.encode()).decode()
    return client.post(WEBHOOK, body, content_type="application/json", **headers)


@pytest.fixture
def hooks(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}


def test_a_hard_bounce_suppresses_the_address_once(client, hooks, papers):
    reader = make_reader("ada@example.org", interests="sparse")
    assert post_event(client, postmark_event()).status_code == 200
    assert post_event(client, postmark_event()).status_code == 200  # the ESP retried
    reader.refresh_from_db()
    assert reader.status == "bounced"
    assert MailEvent.objects.count() == 1
    assert MailEvent.objects.get().subscriber == reader


def test_a_complaint_or_an_esp_unsubscribe_suppresses_too(client, hooks, papers):
    complainer = make_reader("c@example.org")
    leaver = make_reader("l@example.org")
    post_event(client, postmark_event(RecordType="SpamComplaint", Type="SpamComplaint", ID=1,
                                      Email="c@example.org"))
    post_event(client, json.dumps({"RecordType": "SubscriptionChange", "ID": 2,
                                   "Recipient": "l@example.org", "SuppressSending": True,
                                   "SuppressionReason": "ManualSuppression",
                                   "ChangedAt": "2026-11-21T08:00:00Z",
                                   "MessageID": "m2"}))
    complainer.refresh_from_db()
    leaver.refresh_from_db()
    assert (complainer.status, leaver.status) == ("complained", "unsubscribed")


@pytest.mark.parametrize("secret", [None, "hook-user:wrong"])
def test_a_webhook_without_the_right_credentials_is_refused(client, hooks, papers, secret):
    reader = make_reader("ada@example.org")
    response = post_event(client, postmark_event(), secret=secret)
    assert response.status_code in (400, 401, 403)
    reader.refresh_from_db()
    assert reader.status == "active" and MailEvent.objects.count() == 0


def test_a_suppressed_reader_queued_earlier_is_never_mailed(client, hooks, readers, esp):
    from digest.editions.build import deliveries_build
    from digest.editions.due import subscribers_for_edition

    deliveries_build(edition=EDITION, subscribers=subscribers_for_edition(edition=EDITION))
    post_event(client, postmark_event(RecordType="SpamComplaint", Type="SpamComplaint"))
    send()
    assert "ada@example.org" not in [m["To"] for m in esp.messages]
    assert Delivery.objects.get(subscriber=readers["ada"]).reason == "subscriber is complained"
    assert Subscriber.objects.get(email="ada@example.org").status == "complained"


def post_event_unraised(body, secret=SECRET):
    """As the ESP sees it: a server error is a 500 answer, not an exception in the test."""
    client = Client(raise_request_exception=False)
    return post_event(client, body, secret=secret)


def test_a_database_error_while_storing_an_event_is_a_500_so_the_esp_retries(hooks, papers):
    reader = make_reader("ada@example.org")
    with connection.cursor() as cursor:  # the table is gone: a real database error
        cursor.execute("ALTER TABLE subscriptions_mailevent RENAME TO mailevent_elsewhere")
    response = post_event_unraised(postmark_event())
    assert response.status_code == 500
    reader.refresh_from_db()
    assert reader.status == "active"


def test_a_bug_in_handling_an_event_is_a_500_too(hooks, papers, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("subscriptions.webhooks.mail_event_record", broken)
    assert post_event_unraised(postmark_event()).status_code == 500


@pytest.mark.parametrize("body", [
    b"{not json", b"\xff", b"[]", b'{"RecordType": "Bounce", "BouncedAt": 7}',
    b'{"RecordType": "Bounce", "MessageID": 12}', b'{"RecordType": "Bounce", "Email": [1]}',
])
def test_a_payload_nobody_can_read_is_a_400_and_stores_nothing(hooks, papers, body):
    make_reader("ada@example.org")
    assert post_event_unraised(body).status_code == 400
    assert MailEvent.objects.count() == 0
    assert Subscriber.objects.get().status == "active"
