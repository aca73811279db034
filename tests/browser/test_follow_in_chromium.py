""""Follow this paper" and "Unfollow" in a real browser: the follow page's script (allowed by
its CSP nonce) records the click at once, Unfollow takes it back; the manage page lists the
papers followed and its Unfollow buttons post with the page's CSRF token; no console error."""

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from digest.management.commands.demo import SAMPLE
from digest.models import Follow, Paper
from subscriptions import tokens
from tests.digest.factories import FollowFactory, PaperFactory
from tests.digest.follow.conftest import EDITION, ingest
from tests.subscriptions.factories import SubscriberFactory

pytestmark = [pytest.mark.services,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def outbox_html(address: str) -> Path:
    [digest] = [path for path in Path(settings.OUTBOX_DIR).glob("*.html")
                if address in path.name]
    return digest


def test_follow_this_paper_from_a_digest_and_unfollow_it(site, page, console, shoot):
    call_command("ingest", "--file", str(SAMPLE), stdout=StringIO())
    today = timezone.localdate()
    Paper.objects.update(featured_on=today - datetime.timedelta(days=1))
    SubscriberFactory(email="ada@example.org", interests="sparse autoencoder")
    call_command("send_digests", "--date", today.isoformat(), stdout=StringIO())

    page.goto(outbox_html("ada@example.org").as_uri())  # the mail as a mail client shows it
    first_card = page.locator(".card").first
    title = first_card.locator(".title a").inner_text()
    first_card.get_by_role("link", name="Follow this paper").click()
    page.get_by_role("heading", name="Following").wait_for()
    assert title in page.locator("main").inner_text()
    shoot("following")
    [follow] = Follow.objects.select_related("subscriber", "paper")
    assert (follow.subscriber.email, follow.paper.title) == ("ada@example.org", title)
    assert page.evaluate("window.__refused") == []

    page.get_by_role("button", name="Unfollow").click()
    page.get_by_role("heading", name="Unfollowed").wait_for()
    assert not Follow.objects.exists()
    assert page.evaluate("window.__refused") == []
    assert console.problems == []


def test_a_digest_of_updates_on_a_followed_paper(site, page, shoot):
    """What changed on a followed paper opens the digest: the section as a mail client
    shows it (screenshots at phone and desktop width, light and dark)."""
    ingest("hf_day1.json", "arxiv_day1.xml")
    ada = SubscriberFactory(email="ada@example.org", interests="speech")
    FollowFactory(subscriber=ada, paper=Paper.objects.get(arxiv_id="2611.20001"))
    ingest("hf_day2.json", "arxiv_day2.xml")
    call_command("send_digests", "--date", EDITION.isoformat(), stdout=StringIO())

    page.goto(outbox_html("ada@example.org").as_uri())
    page.get_by_role("heading", name="Updates on papers you follow").wait_for()
    update = page.locator(".update").first
    assert "Tiny Recursive Reasoners" in update.inner_text()
    assert update.get_by_role("link", name="Version 2").get_attribute("href") == (
        "https://arxiv.org/abs/2611.20001v2")
    assert page.locator(".card").count() == 2  # the updates, then the one paper her line matched
    shoot("digest-updates")


def test_unfollowing_from_the_manage_page(site, page, console, shoot):
    ada = SubscriberFactory(email="ada@example.org", interests="reasoning")
    for arxiv_id, title in [("2611.20001", "Tiny Recursive Reasoners"),
                            ("2611.20002", "Open Weights for Speech Recognition")]:
        FollowFactory(subscriber=ada, paper=PaperFactory(arxiv_id=arxiv_id, title=title))
    manage = tokens.link(subscriber=ada, purpose=tokens.MANAGE)

    console(manage)
    followed = page.locator("ul.followed li")
    assert followed.count() == 2
    assert page.get_by_label("Updates on papers I follow").is_checked()
    shoot("manage-follows")
    page.get_by_role("button", name="Unfollow Tiny Recursive Reasoners").click()
    page.get_by_text("You no longer follow “Tiny Recursive Reasoners”.").wait_for()
    assert followed.count() == 1
    assert "Open Weights for Speech Recognition" in followed.first.inner_text()
    shoot("manage-unfollowed")
    assert list(Follow.objects.values_list("paper__arxiv_id", flat=True)) == ["2611.20002"]
    assert page.evaluate("window.__refused") == []
    assert console.problems == []
