"""A team's digest end to end: built by the daily tick at the team's own hour, its papers
chosen so that every member is covered (shared papers first, each card naming whom it is
for), members' votes counted, one Delivery row per team and edition, sent once to the
team's address with its own unsubscribe link."""

import datetime
import email
import re
from email import policy

import pytest
from django.core import mail

from digest.deliver.batch import deliveries_send
from digest.editions.build import edition_batches
from digest.learn.digests import items_with_learning
from digest.models import Delivery, Paper
from digest.tasks import dispatch_tick
from digest.teams.build import team_deliveries_build
from digest.teams.due import teams_for_edition
from subscriptions.models import Subscriber, Team
from tests.delivery_fixtures import EDITION, make_reader
from tests.digest.factories import VoteFactory
from tests.subscriptions.factories import TeamFactory, TeamMemberFactory
from tests.teams import LAB

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(EDITION.year, EDITION.month, EDITION.day, 8, 5, tzinfo=datetime.UTC)


def own_papers(reader: Subscriber) -> list[int]:
    """The papers of the edition the reader's own digest carries, best first."""
    [batch] = edition_batches(edition=EDITION, subscribers=Subscriber.objects.filter(
        pk=reader.pk), frequencies=["daily"])
    return [paper for paper, _ in items_with_learning(batch.matches, edition=EDITION)[reader.pk]]


def team_cards(team: Team) -> list[tuple[int, list[str]]]:
    """The team delivery's papers in order, each with the members it names."""
    delivery = Delivery.objects.get(team=team, edition=EDITION)
    return [(item.paper_id, [entry["member"] for entry in item.matched])
            for item in delivery.items.order_by("rank")]


def test_a_team_of_five_gets_one_digest_whose_cards_cover_each_member(lab, monkeypatch):
    team, members = lab
    monkeypatch.setattr("digest.tasks.timezone.now", lambda: NOW)
    summary = dispatch_tick()
    assert (summary["readers"], summary["team_builds"]) == (0, 1)
    [message] = mail.outbox  # one mail, to the team's address; the readers' come later
    assert message.to == [LAB]
    assert Delivery.objects.get(team=team).status == "sent"
    cards = team_cards(team)
    assert 1 <= len(cards) <= team.papers_per_email
    own = {label: own_papers(reader) for label, reader in members.items()}
    for paper, named in cards:  # each card names exactly the members whose digest has it
        assert set(named) == {label for label, papers in own.items() if paper in papers}
    assert {label for _, named in cards for label in named} == set(members)
    shared = [len(named) > 1 for _, named in cards]
    assert any(shared) and shared == sorted(shared, reverse=True)  # shared papers first
    html, text = message.alternatives[0][0], message.body
    for _, named in cards:  # each card says whom it is for, in both parts
        whom = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
        assert f"Why: for {whom} — " in text
        assert re.search(rf'For <span class="label"[^>]*>{re.escape(whom)}</span> — ', html)
    assert message.subject == f"{len(cards)} papers · Lovelace Lab · Sat 21 Nov"
    assert f"{len(cards)} new papers for 5 members of Lovelace Lab" in text


def test_the_team_mail_has_its_own_unsubscribe_link_and_headers(lab, monkeypatch, client):
    team, members = lab
    monkeypatch.setattr("digest.tasks.timezone.now", lambda: NOW)
    dispatch_tick()
    [message] = mail.outbox
    received = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    unsubscribe = re.fullmatch(r"<http://localhost:8000(/team-u/[^>]+/)>",
                               str(received["List-Unsubscribe"]).strip())
    assert unsubscribe, received["List-Unsubscribe"]
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    delivery = Delivery.objects.get(team=team)
    assert received["Message-ID"] == f"<digest.{delivery.key.hex}@localhost>"
    assert unsubscribe.group(1) in message.alternatives[0][0]  # a visible link too
    client.handler.enforce_csrf_checks = True  # the one-click POST has no CSRF token
    client.post(unsubscribe.group(1), {"List-Unsubscribe": "One-Click"})
    assert Team.objects.get().status == "unsubscribed"
    assert set(Subscriber.objects.values_list("status", flat=True)) == {"active"}


def test_members_votes_count_for_the_team(lab):
    team, members = lab
    team_deliveries_build(edition=EDITION, teams=Team.objects.all())
    before = team_cards(team)
    Delivery.objects.all().delete()
    first, _ = before[0]
    VoteFactory(subscriber=members["Ada"], paper_id=first, value=-1)
    left_out = next(paper for paper in own_papers(members["alan"])
                    if paper not in [p for p, _ in before])
    VoteFactory(subscriber=members["edsger"], paper_id=left_out, value=1)
    team_deliveries_build(edition=EDITION, teams=Team.objects.all())
    after = team_cards(team)
    assert first not in [paper for paper, _ in after]  # voted down: dropped
    assert left_out in [paper for paper, _ in after]  # voted up: in
    assert dict(after)[left_out][:2] == ["alan", "edsger"]


def test_a_team_is_sent_once_and_never_the_same_paper_twice(lab):
    team, _ = lab
    built = team_deliveries_build(edition=EDITION, teams=Team.objects.all())
    assert len(built.to_send) == 1
    assert team_deliveries_build(edition=EDITION, teams=teams_for_edition(
        edition=EDITION)).to_send == []  # built: not due any more
    for _ in range(2):  # a doubled queue: two tasks send the same row
        deliveries_send(built.to_send, on_transient=lambda *a: None)
    assert len(mail.outbox) == 1
    sent = {paper for paper, _ in team_cards(team)}
    next_day = EDITION + datetime.timedelta(days=1)
    team_deliveries_build(edition=next_day, teams=Team.objects.all())
    again = Delivery.objects.get(team=team, edition=next_day)
    assert not sent & set(again.items.values_list("paper_id", flat=True))


def test_a_team_unsubscribed_after_its_row_was_built_is_skipped(lab):
    team, _ = lab
    built = team_deliveries_build(edition=EDITION, teams=Team.objects.all())
    Team.objects.filter(pk=team.pk).update(status="unsubscribed")
    counts = deliveries_send(built.to_send, on_transient=lambda *a: None)
    assert counts["skipped"] == 1 and not mail.outbox
    assert Delivery.objects.get(team=team).reason == "team is unsubscribed"


def test_teams_are_due_at_their_own_hour_in_their_own_time_zone(papers, monkeypatch):
    reader = make_reader("solo@example.org", interests="video", send_hour=20)
    tokyo = TeamFactory(timezone="Asia/Tokyo", send_hour=17)  # 08:05 UTC is 17:05 there
    later = TeamFactory(timezone="UTC", send_hour=20)
    paused = TeamFactory(timezone="UTC", send_hour=8, paused_until=EDITION)
    pending = TeamFactory(timezone="UTC", send_hour=8, status="pending")
    for team in (tokyo, later, paused, pending):
        TeamMemberFactory(team=team, subscriber=reader)
    monkeypatch.setattr("digest.tasks.timezone.now", lambda: NOW)
    assert dispatch_tick()["team_builds"] == 1
    assert list(Delivery.objects.values_list("team", flat=True)) == [tokyo.pk]
    assert dispatch_tick()["team_builds"] == 0  # built once


def test_only_confirmed_members_count(papers):
    team = TeamFactory()
    TeamMemberFactory(team=team, subscriber=None, email="invited@example.org",
                      confirmed_at=None)
    built = team_deliveries_build(edition=EDITION, teams=Team.objects.all())
    row = Delivery.objects.get(team=team)
    assert (built.to_send, row.status, row.reason) == ([], "skipped", "no confirmed members")


def test_the_team_digest_opens_in_the_browser(lab, client):
    team, members = lab
    built = team_deliveries_build(edition=EDITION, teams=Team.objects.all())
    deliveries_send(built.to_send, on_transient=lambda *a: None)
    [message] = mail.outbox
    view = re.search(r"http://localhost:8000(/d/[^/\s\"]+/)", message.body).group(1)
    page = client.get(view).content.decode()
    assert f"arXiv:{Paper.objects.get(pk=team_cards(team)[0][0]).arxiv_id}" in page
    assert "/team-u/" not in page  # a forwarded digest cannot stop the team

