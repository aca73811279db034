"""Preferences by magic link, pausing, unsubscribing (RFC 8058 too), and link requests."""

import datetime
import time
import zoneinfo

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from subscriptions import tokens
from subscriptions.models import Subscriber
from tests.subscriptions.factories import SignupRequestFactory, SubscriberFactory
from tests.web import last_mail_to, links_in, page_of, signup_data, tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return SubscriberFactory(email="ada@example.org", status="active", interests="diffusion",
                             send_hour=6, timezone="Europe/Paris", topics=["robotics"])


def url(name: str, reader: Subscriber, purpose: str) -> str:
    return reverse(f"subscriptions:{name}", args=[tokens.token_make(subscriber=reader,
                                                                    purpose=purpose)])


def manage_url(reader):
    return url("manage", reader, tokens.MANAGE)


def unsubscribe_url(reader):
    return url("unsubscribe", reader, tokens.UNSUBSCRIBE)


def test_the_preferences_page_shows_what_the_reader_chose(client, reader):
    page = client.get(manage_url(reader)).content.decode()
    assert "ada@example.org" in page
    assert ">\ndiffusion</textarea>" in page
    assert 'value="Europe/Paris" selected' in page
    assert 'value="robotics" id="id_topics_' in page and "checked" in page


def test_saving_preferences_changes_them(client, reader):
    data = signup_data("ignored@example.org", interests="title:agent\ncat:cs.CL",
                       frequency="weekly", send_hour="9", papers_per_email="5")
    response = client.post(manage_url(reader), {**data, "action": "save"}, follow=True)
    assert "Saved. Your next digest follows these choices." in response.content.decode()
    reader.refresh_from_db()
    assert reader.interest_lines == ["title:agent", "cat:cs.CL"]
    assert (reader.frequency, reader.send_hour, reader.papers_per_email) == ("weekly", 9, 5)
    assert reader.email == "ada@example.org"  # the address is not a preference
    assert [t.slug for t in reader.topics.all()] == ["interpretability"]


def test_a_bad_line_on_the_preferences_page_is_explained_and_changes_nothing(client, reader):
    data = {**signup_data("x@example.org", interests='"open quote'), "action": "save"}
    page = client.post(manage_url(reader), data).content.decode()
    assert "has a quote that is never closed" in page
    reader.refresh_from_db()
    assert reader.interests == "diffusion"


def reader_today(reader) -> datetime.date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(reader.timezone)).date()


def history_of(reader) -> list[tuple[str, str]]:
    return [(entry.action, entry.reason) for entry in reader.history.order_by("at", "pk")]


def test_pausing_and_resuming_from_the_manage_page_is_kept_in_the_history(client, reader):
    client.post(manage_url(reader), {"action": "2w"})
    reader.refresh_from_db()
    until = reader_today(reader) + datetime.timedelta(days=14)  # in the reader's time zone
    assert (reader.status, reader.paused_until) == ("active", until)
    page = page_of(client.get(manage_url(reader)))
    assert f"Your digests are paused until {until:%A %-d %B}" in page.text
    assert "Resume now" in page.text
    client.post(manage_url(reader), {"action": "resume"})
    reader.refresh_from_db()
    assert reader.paused_until is None
    assert history_of(reader) == [
        ("paused", f"paused for two weeks, until {until.isoformat()}, from the manage page"),
        ("resumed", "resumed from the manage page")]
    assert {entry.old_status for entry in reader.history.all()} == {"active"}  # consent unchanged


def test_a_paused_reader_is_not_mailed_until_the_pause_ends(client, reader):
    client.post(manage_url(reader), {"action": "1w"})
    reader.refresh_from_db()
    last_day = reader.paused_until
    mailable = Subscriber.objects.filter(pk=reader.pk).mailable
    assert not mailable(on=last_day).exists()
    assert mailable(on=last_day + datetime.timedelta(days=1)).exists()


def test_a_manage_link_expires_but_an_unsubscribe_link_never_does(client, reader, monkeypatch):
    two_years_ago = time.time() - 730 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: two_years_ago)
    old_manage, old_unsubscribe = manage_url(reader), unsubscribe_url(reader)
    monkeypatch.undo()
    expired = client.get(old_manage)
    assert expired.status_code == 400 and "The link has expired" in expired.content.decode()
    assert client.post(old_unsubscribe).status_code == 200
    reader.refresh_from_db()
    assert reader.status == "unsubscribed"


def test_get_on_the_unsubscribe_link_only_shows_a_button_and_a_pause_beside_it(client, reader):
    page = page_of(client.get(unsubscribe_url(reader)))
    assert ("Stop sending digests to ada@example.org? Unsubscribe or pause instead: "
            "Pause for one week Pause for two weeks Pause for a month") in page.text
    reader.refresh_from_db()
    assert (reader.status, reader.paused_until) == ("active", None)


def test_pausing_instead_of_unsubscribing(client, reader):
    response = client.post(unsubscribe_url(reader), {"action": "1m"})
    reader.refresh_from_db()
    until = reader_today(reader) + datetime.timedelta(days=30)
    assert (reader.status, reader.paused_until) == ("active", until)
    page = page_of(response)
    assert f"Paused until {until:%A %-d %B}" in page.text
    assert "Unsubscribe instead" in page.text
    assert history_of(reader) == [
        ("paused", f"paused for a month, until {until.isoformat()}, from the unsubscribe page")]
    # Changed their mind after all: the same page unsubscribes.
    client.post(unsubscribe_url(reader), {"action": "unsubscribe"})
    reader.refresh_from_db()
    assert reader.status == "unsubscribed"


def test_an_unsubscribed_reader_is_offered_to_subscribe_again_through_opt_in(client, reader):
    unsubscribed = page_of(client.post(unsubscribe_url(reader)))
    assert "Unsubscribed by mistake? Subscribe again" in unsubscribed.text
    again = page_of(client.get(unsubscribe_url(reader)))
    assert "You're already unsubscribed" in again.text and "Pause for" not in again.text
    assert client.post(unsubscribe_url(reader), {"action": "resubscribe"})["Location"] == (
        "/check-your-inbox/")
    reader.refresh_from_db()
    assert reader.status == "unsubscribed"  # until they confirm from the mail
    assert "confirm" in links_in(last_mail_to("ada@example.org"))
    for _ in range(5):
        client.post(unsubscribe_url(reader), {"action": "resubscribe"})
    assert client.post(unsubscribe_url(reader), {"action": "resubscribe"}).status_code == 429


def test_an_unsubscribed_reader_cannot_pause(client, reader):
    client.post(unsubscribe_url(reader))
    client.post(unsubscribe_url(reader), {"action": "1w"})
    client.post(manage_url(reader), {"action": "1w"})
    reader.refresh_from_db()
    assert (reader.status, reader.paused_until) == ("unsubscribed", None)


def test_unsubscribing_twice_is_harmless(client, reader):
    for _ in range(2):
        response = client.post(unsubscribe_url(reader))
        assert response.status_code == 200 and "unsubscribed" in response.content.decode()
    reader.refresh_from_db()
    assert reader.status == "unsubscribed"


def test_one_click_unsubscribe_as_a_mailbox_provider_posts_it(reader):
    provider = Client(enforce_csrf_checks=True)  # no cookies, no CSRF token
    response = provider.post(unsubscribe_url(reader), data="List-Unsubscribe=One-Click",
                             content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.status == "unsubscribed"


def test_a_forged_unsubscribe_link_changes_nothing(client, reader):
    token = tokens.token_make(subscriber=reader, purpose=tokens.UNSUBSCRIBE)
    response = client.post(reverse("subscriptions:unsubscribe", args=[tamper(token)]))
    assert response.status_code == 400
    reader.refresh_from_db()
    assert reader.status == "active"


def test_resubscribing_goes_through_opt_in_again(client, reader):
    client.post(unsubscribe_url(reader))
    page = page_of(client.get(manage_url(reader)))
    assert "and get no digests. Subscribe again We'll mail a confirmation link" in page.text
    assert "Unsubscribe from Paperboy" not in page.text and "Pause for" not in page.text
    client.post(manage_url(reader), {"action": "resubscribe"})
    reader.refresh_from_db()
    assert reader.status == "unsubscribed" and reader.interests == "diffusion"
    confirm = links_in(last_mail_to("ada@example.org"))["confirm"]
    client.post(confirm, REMOTE_ADDR="198.51.100.7")
    reader.refresh_from_db()
    assert reader.status == "active" and reader.consent_ip == "198.51.100.7"
    assert [t.slug for t in reader.topics.all()] == ["robotics"]  # the choices they had


def test_a_signup_after_unsubscribing_changes_nothing_until_confirmed(client, reader):
    client.post(unsubscribe_url(reader))
    client.post("/", signup_data("ada@example.org", interests="crypto"))
    reader.refresh_from_db()
    assert (reader.status, reader.interests) == ("unsubscribed", "diffusion")
    message = last_mail_to("ada@example.org")
    assert message.subject == "Confirm your Paperboy subscription"
    client.post(links_in(message)["confirm"])
    reader.refresh_from_db()
    assert (reader.status, reader.interests) == ("active", "crypto")


@pytest.mark.parametrize(("status", "subject"), [
    ("active", "Your Paperboy preferences link"),
    ("signed up", "Confirm your Paperboy subscription"),
    ("unsubscribed", "Your Paperboy preferences link"),  # to download or delete their data
    ("bounced", None),
    (None, None),
])
def test_the_link_form_answers_the_same_and_mails_only_a_subscriber(client, status, subject):
    if status == "signed up":
        SignupRequestFactory(email="ada@example.org")
    elif status:
        SubscriberFactory(email="ada@example.org", status=status)
    response = client.post("/link/", {"email": "Ada@example.org", "website": ""}, follow=True)
    assert response.redirect_chain == [("/check-your-inbox/", 302)]
    assert [m.subject for m in mail.outbox] == ([subject] if subject else [])


def test_the_link_form_is_rate_limited_per_address(client, reader):
    for _ in range(8):
        client.post("/link/", {"email": "ada@example.org", "website": ""})
    assert len(mail.outbox) == 5


def test_a_manage_link_from_the_mail_opens_the_preferences(client, reader):
    client.post("/link/", {"email": "ada@example.org", "website": ""})
    manage = links_in(last_mail_to("ada@example.org"))["manage"]
    assert client.get(manage).status_code == 200


def test_author_names_are_escaped_on_the_page_and_in_the_admin(client, reader, staff_client):
    data = {**signup_data("x@example.org", authors="Ada <b>Bold</b>"), "action": "save"}
    client.post(manage_url(reader), data)
    reader.refresh_from_db()
    assert reader.authors == "Ada <b>Bold</b>"
    page = client.get(manage_url(reader)).content.decode()
    assert "Ada &lt;b&gt;Bold&lt;/b&gt;" in page and "<b>Bold</b>" not in page
    admin = staff_client.get(reverse("admin:subscriptions_subscriber_change", args=[reader.pk]))
    assert "<b>Bold</b>" not in admin.content.decode()
