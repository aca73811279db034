"""Teams from the reader's side: creating one from the manage page, its address confirming,
members invited and joining by mail, leaving, the owner's page, the team's unsubscribe
link; and the rule that an invitation never reveals who reads Paperboy."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from subscriptions import tokens
from subscriptions.models import Subscriber, Team, TeamMember
from subscriptions.retention import team_invitations_purge
from subscriptions.teams.links import unsubscribe_link
from tests.subscriptions.factories import SubscriberFactory, TeamFactory, TeamMemberFactory
from tests.teams import team_data, teams_page
from tests.web import last_mail_to, links_in, tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    return SubscriberFactory(email="ada@example.org", timezone="Europe/Berlin")


def create(client, owner, **changes):
    return client.post(teams_page(owner), team_data(**changes), follow=True)


def test_the_manage_page_links_to_the_readers_teams(client, ada):
    manage = f"/manage/{tokens.token_make(subscriber=ada, purpose=tokens.MANAGE)}/"
    page = client.get(manage).content.decode()
    assert f'href="{manage}teams/"' in page
    teams = client.get(f"{manage}teams/").content.decode()
    assert "Start a team" in teams and ">Send the team&#x27;s digest to<" in teams


def test_a_new_team_waits_for_its_address_to_confirm(client, ada):
    page = create(client, ada).content.decode()
    assert "We mailed vision@lists.example.org a link to confirm" in page
    team = Team.objects.get()
    assert (team.name, team.status, team.owner, team.timezone, team.send_hour,
            team.papers_per_email) == ("Vision Lab", "pending", ada, "Europe/Berlin", 9, 12)
    assert [m.subscriber for m in team.members.all()] == [ada]  # the owner is a member
    message = last_mail_to("vision@lists.example.org")
    assert message.subject == "Confirm the Paperboy team digest “Vision Lab” for this address"
    assert "ada@example.org asked to send the team digest" in message.body
    confirm = links_in(message)["team-confirm"]
    assert "Confirm the team digest" in client.get(confirm).content.decode()
    assert Team.objects.get().status == "pending"  # a GET (a mail scanner) changes nothing
    done = client.post(confirm).content.decode()
    assert "The team digest is on" in done and "09:00 (Europe/Berlin)" in done
    team.refresh_from_db()
    assert team.status == "active" and team.confirmed_at is not None
    assert client.post(confirm).status_code == 400  # the link is spent


def test_invitations_go_to_readers_who_join_from_the_mailed_link(client, ada):
    grace = SubscriberFactory(email="grace@example.org")
    create(client, ada, members="Grace Hopper <Grace@Example.org>\nnobody@example.org")
    assert {m.email for m in TeamMember.objects.all()} == {
        "ada@example.org", "grace@example.org", "nobody@example.org"}
    assert not [m for m in mail.outbox if m.to == ["nobody@example.org"]]  # not a reader
    invitation = last_mail_to("grace@example.org")
    assert invitation.subject == "Join the team digest “Vision Lab” on Paperboy"
    assert "carry your name: Grace Hopper" in invitation.body
    join = links_in(invitation)["join"]
    assert "Join “Vision Lab”" in client.get(join).content.decode()
    assert not TeamMember.objects.get(email="grace@example.org").confirmed
    assert "You're in “Vision Lab”" in client.post(join).content.decode()
    member = TeamMember.objects.get(email="grace@example.org")
    assert member.confirmed and member.subscriber == grace and member.label == "Grace Hopper"
    assert "You're in" in client.post(join).content.decode()  # twice is harmless


def test_the_owners_page_lists_readers_and_strangers_alike(client, ada):
    SubscriberFactory(email="grace@example.org")
    create(client, ada, members="grace@example.org\nnobody@example.org")
    page = client.get(teams_page(ada)).content.decode()
    team_page = re.search(r'href="(/manage/[^"]+/teams/[^"]+/)"', page).group(1)
    rows = re.findall(r"<tr><td>([^<]+)</td><td>[^<]+</td>\s*<td>(\w+)</td>",
                      client.get(team_page).content.decode())
    assert rows == [("ada@example.org", "Member"), ("grace@example.org", "Invited"),
                    ("nobody@example.org", "Invited")]


def test_an_invitation_to_someone_who_stopped_reading_does_not_join(client, ada):
    grace = SubscriberFactory(email="grace@example.org")
    create(client, ada, members="grace@example.org")
    join = links_in(last_mail_to("grace@example.org"))["join"]
    Subscriber.objects.filter(pk=grace.pk).update(status="unsubscribed")
    assert "Only Paperboy readers can join" in client.post(join).content.decode()
    assert not TeamMember.objects.get(email="grace@example.org").confirmed


def test_a_member_leaves_from_their_own_teams_page(client, ada):
    member = TeamMemberFactory(subscriber=ada, team__name="Robotics Club")
    page = client.get(teams_page(ada)).content.decode()
    assert "Robotics Club" in page and ">Leave<" in page
    done = client.post(teams_page(ada), {"action": "leave", "member": member.key}, follow=True)
    assert "You left “Robotics Club”." in done.content.decode()
    assert not TeamMember.objects.exists()


def test_the_owner_invites_removes_pauses_and_deletes(client, ada):
    create(client, ada)
    team = Team.objects.get()
    page = f"{teams_page(ada)}{team.key}/"
    SubscriberFactory(email="alan@example.org")
    done = client.post(page, {"action": "invite", "members": "alan@example.org"}, follow=True)
    assert "Invited 1 new address" in done.content.decode()
    assert last_mail_to("alan@example.org").subject.startswith("Join the team digest")
    alan = TeamMember.objects.get(email="alan@example.org")
    client.post(page, {"action": "remove", "member": alan.key})
    assert not TeamMember.objects.filter(email="alan@example.org").exists()
    done = client.post(page, {"action": "2w"}, follow=True).content.decode()
    assert "Paused for two weeks" in done
    berlin = timezone.now().astimezone(ZoneInfo("Europe/Berlin")).date()
    assert Team.objects.get().paused_until == berlin + timedelta(days=14)
    client.post(page, {"action": "save", "name": "Vision & Graphics", "frequency": "weekly",
                       "send_hour": "7", "timezone": "UTC", "papers_per_email": "20"})
    team.refresh_from_db()
    assert (team.name, team.frequency, team.send_hour, team.papers_per_email) == (
        "Vision & Graphics", "weekly", 7, 20)
    client.post(page, {"action": "delete"})
    assert Team.objects.exists()  # the box was not ticked
    client.post(page, {"action": "delete", "delete_confirmed": "yes"})
    assert not Team.objects.exists()


def test_only_the_owner_opens_a_teams_page(client, ada):
    team = TeamFactory(owner=SubscriberFactory())
    assert client.get(f"{teams_page(ada)}{team.key}/").status_code == 400


def test_bad_input_gets_a_clear_line_not_a_500(client, ada):
    page = create(client, ada, members="grace@example.org\nnot an address",
                  address="nope").content.decode()
    assert "Line 2: “not an address” is not an email address" in page
    assert "Enter a valid email address." in page
    assert not Team.objects.exists() and not mail.outbox
    too_many = "\n".join(f"m{n}@example.org" for n in range(51))
    assert "At most 50 members" in create(client, ada, members=too_many).content.decode()


def test_what_an_owner_types_is_escaped(client, ada):
    create(client, ada, name="<script>alert(1)</script>",
           members='"<b>Bold</b>" <grace@example.org>')
    SubscriberFactory(email="grace@example.org")
    page = client.get(teams_page(ada)).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    html = last_mail_to("vision@lists.example.org").alternatives[0][0]
    assert "<script>alert(1)" not in html


def test_the_team_unsubscribe_link_stops_the_team_not_its_members(client, ada):
    team = TeamFactory(owner=ada)
    TeamMemberFactory(team=team, subscriber=ada)
    link = unsubscribe_link(team).removeprefix("http://localhost:8000")
    page = client.get(link).content.decode()
    assert "Unsubscribe from the team digest" in page
    assert Team.objects.get().status == "active"  # a GET changes nothing
    # RFC 8058: the mailbox provider's one-click POST carries no cookie and no CSRF token.
    client.handler.enforce_csrf_checks = True
    done = client.post(link, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "The team digest is stopped" in done.content.decode()
    assert Team.objects.get().status == "unsubscribed"
    assert Subscriber.objects.get(pk=ada.pk).status == "active"
    assert client.post(tamper(link.rstrip("/")) + "/").status_code == 400


def test_an_old_confirmation_link_cannot_bring_back_an_unsubscribed_team(client, ada):
    create(client, ada)
    confirm = links_in(last_mail_to("vision@lists.example.org"))["team-confirm"]
    client.post(confirm)
    team = Team.objects.get()
    client.post(unsubscribe_link(team).removeprefix("http://localhost:8000"))
    assert client.post(confirm).status_code == 400
    assert Team.objects.get().status == "unsubscribed"
    # The owner asks again; the new link works.
    client.post(f"{teams_page(ada)}{team.key}/", {"action": "ask"})
    again = links_in(last_mail_to("vision@lists.example.org"))["team-confirm"]
    assert again != confirm
    client.post(again)
    assert Team.objects.get().status == "active"


def test_unconfirmed_invitations_go_when_their_link_expires(ada):
    old = timezone.now() - timedelta(days=8)
    TeamMemberFactory(email="late@example.org", subscriber=None, confirmed_at=None,
                      invited_at=old)
    TeamMemberFactory(email="kept@example.org", subscriber=ada, invited_at=old)
    assert team_invitations_purge(now=timezone.now()) == 1
    assert list(TeamMember.objects.values_list("email", flat=True)) == ["kept@example.org"]


@pytest.mark.parametrize(("name", "status"), [("hard_bounce", "suppressed"),
                                              ("spam_complaint", "suppressed"),
                                              ("subscription_change", "unsubscribed")])
def test_a_bounce_or_complaint_at_the_teams_address_stops_the_team(client, settings, name,
                                                                   status):
    from tests.subscriptions.test_bounces import SECRET, postmark

    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}
    team = TeamFactory(address="lab@lists.example.org")
    member = TeamMemberFactory(team=team)
    postmark(client, name, Email="Lab@lists.example.org")
    assert Team.objects.get().status == status
    assert Subscriber.objects.get(pk=member.subscriber_id).status == "active"


def test_a_readers_data_names_their_teams_and_erasing_removes_their_invitations(client, ada):
    TeamMemberFactory(subscriber=ada, team__name="Robotics Club", name="Ada L.")
    TeamMemberFactory(subscriber=None, email=ada.email, confirmed_at=None)
    manage = f"/manage/{tokens.token_make(subscriber=ada, purpose=tokens.MANAGE)}/"
    data = client.get(f"{manage}my-data.json").json()
    assert [(t["team"], t["named"]) for t in data["teams"]] == [("Robotics Club", "Ada L.")]
    client.post(manage, {"action": "erase", "erase_confirmed": "yes"})
    assert not TeamMember.objects.exists() and Team.objects.count() == 2
