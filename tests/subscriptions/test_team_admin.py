"""Operators' teams: created in the admin like a reader creates one (the address confirms,
members are invited and count once they accept), listed with their members, stopped by an
action."""

import pytest
from django.urls import reverse

from subscriptions.models import Team, TeamMember
from tests.digest.factories import DeliveryFactory
from tests.subscriptions.factories import SubscriberFactory, TeamFactory, TeamMemberFactory
from tests.web import last_mail_to, links_in

pytestmark = pytest.mark.django_db
ADD = reverse("admin:subscriptions_team_add")
LIST = reverse("admin:subscriptions_team_changelist")


def inline_rows(*emails: str) -> dict:
    data = {"members-TOTAL_FORMS": str(len(emails)), "members-INITIAL_FORMS": "0",
            "members-MIN_NUM_FORMS": "0", "members-MAX_NUM_FORMS": "50"}
    for n, email in enumerate(emails):
        data[f"members-{n}-email"] = email
        data[f"members-{n}-name"] = ""
    return data


def test_an_operator_creates_a_team_whose_address_confirms_and_members_accept(staff_client,
                                                                               client):
    SubscriberFactory(email="ada@example.org")
    SubscriberFactory(email="grace@example.org")
    response = staff_client.post(ADD, {
        "name": "NLP group", "address": "nlp@lists.example.org", "frequency": "daily",
        "timezone": "Asia/Tokyo", "send_hour": "8", "papers_per_email": "15",
        "paused_until": "", **inline_rows("ada@example.org", "grace@example.org")})
    assert response.status_code == 302, response.content.decode()[:2000]
    team = Team.objects.get()
    assert (team.status, team.owner) == ("pending", None)
    confirm = last_mail_to("nlp@lists.example.org")
    assert "A Paperboy operator asked to send the team digest “NLP group”" in confirm.body
    client.post(links_in(confirm)["team-confirm"])
    for address in ("ada@example.org", "grace@example.org"):
        client.post(links_in(last_mail_to(address))["join"])
    assert Team.objects.get().status == "active"
    assert TeamMember.objects.filter(confirmed_at__isnull=False).count() == 2
    listed = staff_client.get(LIST).content.decode()
    assert "nlp@lists.example.org" in listed and "2 / 2" in listed


def test_the_team_pages_load_with_their_members_and_deliveries(staff_client):
    member = TeamMemberFactory(team__name="Vision <b>Lab</b>")
    DeliveryFactory(subscriber=None, team=member.team)
    page = staff_client.get(reverse("admin:subscriptions_team_change",
                                    args=[member.team.pk])).content.decode()
    assert member.email in page and "Vision &lt;b&gt;Lab&lt;/b&gt;" in page
    assert staff_client.get(reverse("admin:digest_delivery_changelist")).status_code == 200


def test_suppressing_a_team_stops_its_mail(staff_client):
    team = TeamFactory()
    staff_client.post(LIST, {"action": "suppress", "_selected_action": [team.pk]})
    assert Team.objects.get().status == "suppressed"
