""""More like this" from a digest in a real browser: the page's script (allowed by its CSP
nonce) records the click at once, Undo takes it back, and the console shows no error."""

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from digest.management.commands.demo import SAMPLE
from digest.models import Paper, Vote
from tests.subscriptions.factories import SubscriberFactory

pytestmark = [pytest.mark.services,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_more_like_this_from_a_digest_records_one_vote_and_undo_takes_it_back(
        site, page, console, shoot):
    call_command("ingest", "--file", str(SAMPLE), stdout=StringIO())
    today = timezone.localdate()
    Paper.objects.update(featured_on=today - datetime.timedelta(days=1))
    SubscriberFactory(email="ada@example.org", interests="sparse autoencoder",
                      description="What sparse autoencoders and probes reveal inside networks.")
    call_command("send_digests", "--date", today.isoformat(), stdout=StringIO())
    [digest] = [path for path in Path(settings.OUTBOX_DIR).glob("*.html")
                if "ada@example.org" in path.name]

    page.goto(digest.as_uri())  # the mail as a mail client shows it
    first_card = page.locator(".card").first
    title = first_card.locator(".title a").inner_text()
    first_card.get_by_role("link", name="More like this").click()
    page.get_by_role("heading", name="Noted: more like this").wait_for()
    assert title in page.locator("main").inner_text()
    page.get_by_role("heading", name="What Paperboy now ranks highest for you").wait_for()
    shoot("feedback-noted")
    [vote] = Vote.objects.select_related("subscriber", "paper")
    assert (vote.subscriber.email, vote.paper.title, vote.value) == (
        "ada@example.org", title, Vote.Value.MORE)
    assert page.evaluate("window.__refused") == []

    page.get_by_role("button", name="Undo").click()
    page.get_by_role("heading", name="Undone").wait_for()
    assert not Vote.objects.exists()
    assert page.evaluate("window.__refused") == []
    assert console.problems == []
