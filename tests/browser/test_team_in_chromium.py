"""A team in a real browser: a reader starts one from their manage page, the list's address
confirms it, a colleague joins from the invitation, and the owner's page shows them both;
no page breaks the content security policy."""

import email
import re
from email import policy
from pathlib import Path

import pytest
from django.conf import settings

from subscriptions import tokens
from subscriptions.models import Team, TeamMember
from tests.subscriptions.factories import SubscriberFactory

pytestmark = [pytest.mark.services,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def newest_mail(subject: str):
    """The newest .eml in the outbox with this subject (a long non-ASCII subject is folded
    before its first word: compared without that space)."""
    for path in sorted(Path(settings.OUTBOX_DIR).glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["Subject"].strip() == subject:
            return message
    raise AssertionError(f"no mail with subject {subject!r} in {settings.OUTBOX_DIR}")


def team_link(message, kind: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"(http://\S+/{kind}/\S+/)", text).group(1)


def test_start_a_team_confirm_its_address_and_join_it(site, page, shoot, console):
    ada = SubscriberFactory(email="ada@example.org")
    SubscriberFactory(email="grace@example.org")
    manage = f"{site.url}/manage/{tokens.token_make(subscriber=ada, purpose=tokens.MANAGE)}/"
    console(manage)
    page.get_by_role("link", name="your teams").click()
    page.get_by_role("heading", name="Start a team").wait_for()
    page.get_by_label("Team name").fill("Lovelace Lab")
    page.get_by_label("Send the team's digest to").fill("lab@lists.example.org")
    page.get_by_label("Invite members").fill("Grace Hopper <grace@example.org>")
    page.get_by_label("Papers per email").fill("8")
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
