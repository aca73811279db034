"""A test digest as an operator uses it: the reader's latest edition from their filters as
they are now, even when they were sent those papers already, marked as a test, recording
nothing; and when there is nothing to show, one error saying why."""

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from digest.models import Delivery, DeliveryItem
from subscriptions.models import Subscriber
from tests.delivery_fixtures import EDITION, make_reader
from tests.mails import visible

pytestmark = pytest.mark.django_db
SAE = "Sparse Autoencoders Find Shared Features Across Language Model Scales"


def act(staff_client, readers: list[Subscriber]):
    return staff_client.post(
        reverse("admin:subscriptions_subscriber_changelist"),
        {"action": "send_test_digest", "_selected_action": [r.pk for r in readers]},
        follow=True)


def said(response) -> list[tuple[str, str]]:
    """The admin's messages after an action: (level, text)."""
    return [(message.level_tag, message.message)
            for message in get_messages(response.wsgi_request)]


def rows() -> tuple[int, int, list]:
    return (Delivery.objects.count(), DeliveryItem.objects.count(),
            list(Delivery.objects.values_list("status", flat=True)))


def test_a_reader_already_sent_the_papers_still_gets_a_test_digest_of_them(readers,
                                                                           staff_client):
    call_command("send_digests", "--date", EDITION.isoformat(), stdout=StringIO())
    ada = readers["ada"]
    assert Delivery.objects.get(subscriber=ada).status == "sent"
    mail.outbox.clear()
    before = rows()
    # Today's edition has no papers stored (the sample is older): their latest one that has.
    response = act(staff_client, [ada])
    [message] = mail.outbox
    assert message.to == ["ops@example.com"]
    assert message.subject == (
        "[Test for ada@example.org] 4 papers · Sparse autoencoder, “language model” · Sat 21 Nov")
    assert SAE in visible(message.alternatives[0][0])
    assert rows() == before  # no delivery recorded, nothing marked as sent
    assert said(response) == [("success", "Test digest sent to ops@example.com for "
                                          "ada@example.org.")]


def test_an_empty_test_digest_is_one_error_saying_why(readers, staff_client):
    quiet = [readers["zed"], make_reader("quokka@example.org", interests="quokka")]
    response = act(staff_client, [readers["grace"], *quiet])
    assert [m.to for m in mail.outbox] == [["ops@example.com"]]  # Grace's
    assert said(response) == [
        ("success", "Test digest sent to ops@example.com for grace@example.org."),
        ("error", "No test digest for quokka@example.org, zed@example.org: none of the 11 "
                  "papers of the Sat 21 Nov 2026 edition matches their filters.")]


def test_an_operator_without_an_address_is_told_once(readers, staff_client, django_user_model):
    django_user_model.objects.filter(username="operator").update(email="")
    response = act(staff_client, [readers["ada"], readers["grace"]])
    assert mail.outbox == []
    assert said(response) == [("error", "Your account has no email address: add one to get "
                                         "test digests.")]


def test_the_change_page_has_a_button_that_sends_a_test_digest(readers, staff_client):
    change = reverse("admin:subscriptions_subscriber_change", args=[readers["ada"].pk])
    button = reverse("admin:subscriptions_subscriber_test_digest", args=[readers["ada"].pk])
    page = staff_client.get(change).content.decode()
    assert f'<form method="post" action="{button}"' in page and "Send me a test digest" in page
    assert staff_client.get(button).status_code == 405  # opening the link sends nothing
    assert mail.outbox == []
    response = staff_client.post(button, follow=True)
    assert response.redirect_chain[-1][0] == change
    [message] = mail.outbox
    assert message.subject.startswith("[Test for ada@example.org] ")
    assert not Delivery.objects.exists()


def test_preview_digest_builds_the_latest_edition_and_marks_it_as_a_test(readers, settings,
                                                                         tmp_path):
    call_command("send_digests", "--date", EDITION.isoformat(), stdout=StringIO())
    before = rows()
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("preview_digest", "ada@example.org", stdout=out)
    subject, path = out.getvalue().strip().rsplit(": ", 1)
    assert subject.startswith("[Test for ada@example.org] 4 papers · ")
    assert path.endswith("-2026-11-21.html")
    assert SAE in visible(Path(path).read_text())
    assert SAE in Path(path).with_suffix(".txt").read_text()
    assert rows() == before and len(mail.outbox) == 3  # the three digests sent before only


def test_preview_digest_with_nothing_to_show_is_one_error_line(readers, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    with pytest.raises(CommandError) as error:
        call_command("preview_digest", "zed@example.org", stdout=StringIO())
    assert str(error.value) == ("no test digest for zed@example.org: none of the 11 papers "
                                "of the Sat 21 Nov 2026 edition matches their filters")
    assert not any(tmp_path.iterdir())


def test_an_esp_that_refuses_the_test_is_one_error_with_its_answer(readers, staff_client, esp):
    esp.script.extend(["500", "500"])
    response = act(staff_client, [readers["ada"], readers["grace"]])
    [(level, text)] = said(response)
    assert level == "error"
    assert text.startswith("No test digest for grace@example.org, ada@example.org: the mail "
                           "was not sent (AnymailRequestsAPIError: Postmark API response 500")
    assert not Delivery.objects.exists()
