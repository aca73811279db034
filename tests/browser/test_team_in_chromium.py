"""A team in a real browser: a reader starts one from their manage page, the list's address
confirms it, a colleague joins from the invitation, and no page breaks the content security
policy; and a team's digest as a phone shows it (screenshots in var/screenshots/)."""

import re
from pathlib import Path

import pytest

from digest.deliver.batch import deliveries_send
from digest.teams.build import team_deliveries_build
from subscriptions import tokens
from subscriptions.models import Team, TeamMember
from tests.browser.test_reader_journey import newest_mail
from tests.delivery_fixtures import EDITION
from tests.subscriptions.factories import SubscriberFactory

pytestmark = pytest.mark.services


def team_link(message, kind: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"(http://\S+/{kind}/\S+/)", text).group(1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_start_a_team_confirm_its_address_and_join_it(site, page, shoot, console):
    ada = SubscriberFactory(email="ada@example.org")
    SubscriberFactory(email="grace@example.org")
    manage = f"{site.url}/manage/{tokens.token_make(subscriber=ada, purpose=tokens.MANAGE)}/"
    console(manage)
    page.get_by_role("link", name="your teams").click()
    page.get_by_role("heading", name="Start a team").wait_for()
    page.get_by_label("Team name").fill("Lovelace Lab")
    page.get_by_label("Send the team's digest to").fill("lab@lists.example.org")
    page.get_by_label("Papers per email").fill("8")
    # (Filled last, the number field kept the focus, and Chromium then ignored the click on
    # the button after the screenshots resized the page.)
    page.get_by_label("Invite members").fill("Grace Hopper <grace@example.org>")
    shoot("new-team")
    page.get_by_role("button", name="Create the team").click()
    page.get_by_text("Team created.").wait_for()
    shoot("team")
    assert Team.objects.get().status == "pending"

    confirm = newest_mail("Confirm the Paperboy team digest “Lovelace Lab” for this address")
    console(team_link(confirm, "team-confirm"))
    page.get_by_role("button", name="Confirm the team digest").click()
    page.get_by_role("heading", name="The team digest is on").wait_for()
    console(team_link(newest_mail("Join the team digest “Lovelace Lab” on Paperboy"), "join"))
    shoot("join")
    page.get_by_role("button", name="Join the team").click()
    page.get_by_role("heading", name="You're in “Lovelace Lab”").wait_for()
    assert Team.objects.get().status == "active"
    assert TeamMember.objects.filter(confirmed_at__isnull=False).count() == 2
    assert console.problems == []


@pytest.mark.django_db
def test_a_team_digest_reads_well_on_a_phone(lab, settings, tmp_path, page, shoot):
    settings.EMAIL_BACKEND = "digest.deliver.outbox.OutboxEmailBackend"
    settings.OUTBOX_DIR = tmp_path
    built = team_deliveries_build(edition=EDITION, teams=Team.objects.all())
    deliveries_send(built.to_send, on_transient=lambda *args: None)
    [html] = Path(tmp_path).glob("*lab@lists.example.org*.html")
    page.goto(html.as_uri())
    shoot("team-digest")
    assert page.get_by_role("heading", name="For several of you").is_visible()
    assert page.locator(".why", has_text="For Ada").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
