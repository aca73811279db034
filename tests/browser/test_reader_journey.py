"""A reader's whole journey in a real browser: sign up, confirm from the mail, change
preferences through the magic link, unsubscribe; and a mailbox provider's one-click POST."""

import email
import re
from email import policy
from io import StringIO
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.core.management import call_command

from digest.management.commands.demo import SAMPLE
from subscriptions.models import SignupRequest, Subscriber
from tests.subscriptions.factories import SubscriberFactory

pytestmark = [pytest.mark.services,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def newest_mail(subject: str):
    """The newest .eml in the outbox with this subject, parsed (a long non-ASCII subject is
    folded before its first word: compared without that space)."""
    for path in sorted(Path(settings.OUTBOX_DIR).glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["Subject"].strip() == subject:
            return message
    raise AssertionError(f"no mail with subject {subject!r} in {settings.OUTBOX_DIR}")


def link_in(message, kind: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"(http://\S+/{kind}/\S+/)", text).group(1)


def test_sign_up_confirm_change_preferences_and_unsubscribe(site, page, shoot):
    call_command("ingest", "--file", str(SAMPLE), stdout=StringIO())  # papers for the preview

    page.goto(site.url + "/")
    page.get_by_label("Email address").fill("reader@example.org")
    page.get_by_label("Interpretability").check()
    page.get_by_label("Interests").fill('sparse autoencoder\n"language model" -robotics')
    page.get_by_label("Time zone").select_option("Europe/Paris")
    preview = page.locator("#preview-summary")
    preview.filter(has_text="Your filters match").wait_for()
    assert "of the 11 papers listed" in preview.inner_text()
    assert "Sparse Autoencoders Find Shared Features" in page.locator("#preview-top").inner_text()
    shoot("signup")
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    shoot("check-inbox")
    assert not Subscriber.objects.exists()  # a sign-up waits for its owner
    assert SignupRequest.objects.get().preferences["timezone"] == "Europe/Paris"

    page.goto(link_in(newest_mail("Confirm your Paperboy subscription"), "confirm"))
    shoot("confirm")
    assert not Subscriber.objects.exists()  # opening the link is not consent
    page.get_by_role("button", name="Confirm my subscription").click()
    page.get_by_role("heading", name="You're subscribed").wait_for()
    shoot("confirmed")
    reader = Subscriber.objects.get()
    assert (reader.status, reader.timezone) == ("active", "Europe/Paris")

    welcome = newest_mail("You're subscribed to Paperboy")
    page.goto(link_in(welcome, "manage"))
    page.get_by_label("Interests").fill("title:agent\nnot a (valid -")
    page.get_by_role("button", name="Save").click()
    # The page comes back with the error beside the field: wait for it before typing again.
    page.get_by_role("alert").filter(has_text="Line 2").wait_for()
    shoot("preferences-error")
    assert Subscriber.objects.get().interests.startswith("sparse autoencoder")
    page.get_by_label("Interests").fill("title:agent\ndiffus*")
    page.get_by_label("Weekly (Mondays)").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved. Your next digest follows these choices.").wait_for()
    shoot("preferences")
    reader = Subscriber.objects.get()
    assert (reader.interest_lines, reader.frequency) == (["title:agent", "diffus*"], "weekly")

    page.goto(link_in(welcome, "u"))
    shoot("unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="You're unsubscribed").wait_for()
    shoot("unsubscribed")
    assert Subscriber.objects.get().status == "unsubscribed"


def test_a_bad_interest_line_is_explained_as_the_reader_types(site, page, shoot):
    page.goto(site.url + "/")
    page.get_by_label("Interests").fill("diffusion\n-robotics")
    page.locator("#preview-summary").filter(has_text="only excludes").wait_for()
    shoot("preview-error")
    page.get_by_label("Email address").fill("reader@example.org")
    page.get_by_role("button", name="Subscribe").click()
    # The re-rendered page shows the error beside the field (the live preview may repeat it).
    page.get_by_role("alert").filter(has_text="Line 2: “-robotics” only excludes").wait_for()
    assert not SignupRequest.objects.exists()


def test_one_click_unsubscribe_the_way_a_mailbox_provider_does_it(site):
    reader = SubscriberFactory(email="reader@example.org")
    from subscriptions.emails import send_welcome

    send_welcome(reader)
    message = newest_mail("You're subscribed to Paperboy")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    target = re.search(r"<([^>]+)>", str(message["List-Unsubscribe"])).group(1)
    # RFC 8058: a POST with this exact body, no cookies, no CSRF token, no redirects.
    response = httpx.post(target, content=b"List-Unsubscribe=One-Click",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.status == "unsubscribed"
