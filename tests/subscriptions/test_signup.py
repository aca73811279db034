"""Signup, double opt-in, and the rule that a signup never reveals or changes an address."""

import re
import time

import pytest
from django.core import mail, signing
from django.urls import reverse

from subscriptions import tokens
from subscriptions.models import HistoryEntry, SignupRequest, Subscriber
from tests.subscriptions.factories import SubscriberFactory
from tests.web import last_mail_to, links_in, signup_data, tamper

pytestmark = pytest.mark.django_db
SIGNUP = "/"


def test_the_signup_page_has_every_field_labelled(client):
    page = client.get(SIGNUP).content.decode()
    for label in ["Email address", "Topics", "Interests", "Authors to follow", "How often",
                  "Send at (your time)", "Time zone", "Papers per email"]:
        assert f">{label}<" in page
    assert "Large language models" in page and "Pretraining, scaling" in page
    assert "How to write interest lines" in page and 'author:"Yann LeCun"' in page
    assert '<button type="submit">Subscribe</button>' in page


def test_signing_up_stores_a_request_and_mails_a_confirmation_link(client):
    response = client.post(SIGNUP, signup_data("Ada@Example.org "))
    assert response.status_code == 302 and response["Location"] == "/check-your-inbox/"
    assert not Subscriber.objects.exists()  # nobody is subscribed until they confirm
    request = SignupRequest.objects.get()
    assert (request.email, request.origin) == ("ada@example.org", "signup")
    assert request.preferences["interests"] == 'sparse autoencoder\n"language model" -robotics'
    assert request.preferences["topics"] == ["interpretability"]
    message = last_mail_to("ada@example.org")
    assert message.subject == "Confirm your Paperboy subscription"
    assert "confirm" in links_in(message)
    assert "Confirm my subscription" in message.alternatives[0][0]


def test_confirming_takes_a_post_and_records_consent(client):
    client.post(SIGNUP, signup_data("ada@example.org"))
    confirm = links_in(last_mail_to("ada@example.org"))["confirm"]
    page = client.get(confirm)  # what a mail scanner does: nothing changes
    assert "Confirm my subscription" in page.content.decode()
    assert not Subscriber.objects.exists()
    done = client.post(confirm, REMOTE_ADDR="203.0.113.9")
    assert "You're subscribed" in done.content.decode()
    reader = Subscriber.objects.get()
    assert reader.status == "active" and reader.consent_ip == "203.0.113.9"
    assert reader.consent_at is not None
    assert reader.interest_lines == ["sparse autoencoder", '"language model" -robotics']
    assert (reader.timezone, reader.send_hour, reader.authors) == ("Europe/Paris", 7, "Yann LeCun")
    assert [t.slug for t in reader.topics.all()] == ["interpretability"]
    entry = HistoryEntry.objects.get(subscriber=reader)
    assert (entry.actor, entry.action, entry.old_status, entry.new_status, entry.ip) == (
        "reader", "confirmed", "", "active", "203.0.113.9")
    welcome = last_mail_to("ada@example.org")
    assert welcome.subject == "You're subscribed to Paperboy"
    assert welcome.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert client.post(confirm).status_code == 200  # twice is harmless
    assert Subscriber.objects.get().consent_ip == "203.0.113.9"


def final_page(client, data) -> tuple[int, str, str]:
    response = client.post(SIGNUP, data, follow=True)
    page = re.sub(r'nonce="[^"]+"', 'nonce=""', response.content.decode())  # new every time
    return response.status_code, response.redirect_chain[-1][0], page


def test_the_response_is_the_same_for_new_pending_and_active_addresses(client):
    client.post(SIGNUP, signup_data("pending@example.org"))
    SubscriberFactory(email="active@example.org", status="active", interests="diffusion",
                      send_hour=6)
    answers = {email: final_page(client, signup_data(email))
               for email in ["new@example.org", "pending@example.org", "active@example.org"]}
    assert len(set(answers.values())) == 1


def test_a_signup_for_an_active_address_changes_nothing_and_mails_a_manage_link(client):
    SubscriberFactory(email="active@example.org", status="active", interests="diffusion",
                      send_hour=6)
    client.post(SIGNUP, signup_data("ACTIVE@example.org", interests="crypto", send_hour="23"))
    reader = Subscriber.objects.get()
    assert (reader.status, reader.interests, reader.send_hour) == ("active", "diffusion", 6)
    message = last_mail_to("active@example.org")
    assert message.subject == "Your Paperboy preferences link"
    assert set(links_in(message)) == {"manage", "u"}


def test_bounced_or_complained_addresses_get_no_mail_from_the_form(client):
    SubscriberFactory(email="gone@example.org", status="complained")
    client.post(SIGNUP, signup_data("gone@example.org"))
    assert mail.outbox == [] and Subscriber.objects.get().status == "complained"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"email": "not-an-address"}, "email", "Enter a valid email address."),
    ({"interests": "diffusion\n-robotics"}, "interests", "Line 2: “-robotics” only excludes"),
    ({"interests": "\n".join(f"w{n}" for n in range(21))}, "interests", "At most 20 lines"),
    ({"timezone": "Mars/Olympus"}, "timezone", "Select a valid choice."),
    ({"send_hour": "25"}, "send_hour", "Select a valid choice."),
    ({"papers_per_email": "500"}, "papers_per_email", "less than or equal to 50"),
    ({"authors": "12345"}, "authors", "does not look like a name"),
    ({"topics": ["no-such-topic"]}, "topics", "Select a valid choice."),
    ({"email": '"a\x01b"@example.org'}, "email", "cannot contain control characters"),
])
def test_every_field_is_validated_with_a_clear_message(client, changes, field, message):
    response = client.post(SIGNUP, {**signup_data("ada@example.org"), **changes})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors[field])
    assert message in errors
    assert not SignupRequest.objects.exists() and mail.outbox == []


def test_what_a_visitor_types_is_escaped_on_the_page(client):
    response = client.post(SIGNUP, signup_data(
        "ada@example.org", interests='<script>alert(1)</script>\n-"<b>x</b>"'))
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page and "<b>x</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_honeypot_stores_nothing_but_answers_the_same(client):
    response = client.post(SIGNUP, signup_data("bot@example.org", website="http://spam"))
    assert response["Location"] == "/check-your-inbox/"
    assert not SignupRequest.objects.exists() and mail.outbox == []


def test_one_address_gets_at_most_five_mails_an_hour_from_the_form(client):
    for _ in range(7):
        response = client.post(SIGNUP, signup_data("target@example.org"))
        assert response["Location"] == "/check-your-inbox/"
    assert len(mail.outbox) == 5


def test_one_visitor_is_stopped_after_twenty_signups_an_hour(client):
    for n in range(20):
        assert client.post(SIGNUP, signup_data(f"r{n}@example.org")).status_code == 302
    blocked = client.post(SIGNUP, signup_data("r21@example.org"))
    assert blocked.status_code == 429 and "Too many attempts" in blocked.content.decode()
    assert SignupRequest.objects.count() == 20
    other_visitor = client.post(SIGNUP, signup_data("r22@example.org"), REMOTE_ADDR="10.9.9.9")
    assert other_visitor.status_code == 302


def test_a_tampered_or_misused_link_is_refused_and_changes_nothing(client):
    client.post(SIGNUP, signup_data("ada@example.org"))
    request = SignupRequest.objects.get()
    good = tokens.confirm_token_make(request=request)
    active = SubscriberFactory(email="other@example.org", status="active")
    manage_token = tokens.token_make(subscriber=active, purpose=tokens.MANAGE)
    forged = good.replace(request.key[:4], "AAAA")
    for token in [tamper(good), "nonsense", manage_token, forged]:
        response = client.post(reverse("subscriptions:confirm", args=[token]))
        assert response.status_code == 400
        assert "This link doesn" in response.content.decode()
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["other@example.org"]


def test_a_confirmation_link_expires(client, monkeypatch, settings):
    client.post(SIGNUP, signup_data("ada@example.org"))
    request = SignupRequest.objects.get()
    eight_days_ago = time.time() - 8 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: eight_days_ago)
    token = tokens.confirm_token_make(request=request)
    monkeypatch.undo()
    response = client.post(reverse("subscriptions:confirm", args=[token]))
    assert response.status_code == 400 and "The link has expired" in response.content.decode()
    assert not Subscriber.objects.exists()
