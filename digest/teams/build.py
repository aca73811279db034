"""Building a team's digest for an edition: each confirmed member's own ranking of the
edition's papers (the readers' matcher and learned ranking, on the members' own lines and
votes), the team's papers chosen from them by greedy coverage (digest.teams.coverage), and
one Delivery row per team and edition written like a reader's (digest.editions.build).

A paper the team was sent before is never chosen again (a member's own digests do not
count: the team is another audience). Each item's "why" is a list, one entry per member it
is for: {"member": their name on the card, "reader": their subscriber id, "why": the reasons
their own digest would give, or [VOTED_UP]}.
"""

import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from django.db.models import QuerySet

from digest.editions.build import MATCHED_AT_ONCE, Built, deliveries_write, edition_lines
from digest.editions.due import edition_window, frequencies_due
from digest.learn.digests import items_with_learning
from digest.match.index import PaperIndex
from digest.match.inputs import reader_batches, topic_lines
from digest.match.lines import LineTable
from digest.match.matching import match
from digest.match.readers import compile_rows
from digest.models import DeliveryItem, Vote
from digest.teams.coverage import papers_for_team
from subscriptions.models import Subscriber, Team, TeamMember

TEAMS_AT_ONCE = 1000  # teams whose members are matched together
NO_MEMBERS, NO_MATCHES = "no confirmed members", "no matches for its members"
VOTED_UP = {"voted": "more"}  # why a member's paper their own digest would not carry is theirs


@dataclass(frozen=True)
class Member:
    key: int  # the membership's id
    reader: int  # the subscriber's id
    label: str


def team_deliveries_build(*, edition: date, teams: QuerySet[Team],
                          on_batch: Callable[[list[int]], None] | None = None) -> Built:
    """Delivery rows for these teams' edition, TEAMS_AT_ONCE teams at a time. Safe to run
    twice at once: the unique (team, edition) row is written once."""
    built = Built(to_send=[])
    for frequency in frequencies_due(edition):
        ids = list(teams.filter(frequency=frequency).order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), TEAMS_AT_ONCE):
            written = _build(edition, frequency, ids[start:start + TEAMS_AT_ONCE])
            built.add(written)
            if on_batch:
                on_batch(written.to_send)
    return built


def _build(edition: date, frequency: str, team_ids: list[int]) -> Built:
    started = time.perf_counter()
    since, until = edition_window(edition=edition, frequency=frequency)
    index, table = edition_lines(since=since, until=until)
    members = team_members(team_ids)
    sent = teams_sent(team_ids, paper_keys=[paper.key for paper in index.papers])
    readers = {m.reader for team in members.values() for m in team}
    # Each member's list is cut at their own limit once the team's sent papers are out, so
    # the matcher gives them that many more.
    extra = defaultdict(int)
    for team, theirs in members.items():
        for member in theirs:
            extra[member.reader] = max(extra[member.reader], len(sent[team]))
    ranked, limits = members_ranked(readers, edition=edition, index=index, table=table,
                                    extra=extra)
    votes = members_votes(readers, paper_keys=[paper.key for paper in index.papers])
    limit_of = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "papers_per_email"))
    chosen = {team: team_items(members.get(team, []), ranked=ranked, limits=limits,
                               votes=votes, sent=sent[team], limit=limit_of[team])
              for team in team_ids}
    match_s = time.perf_counter() - started
    started = time.perf_counter()
    written = Built(to_send=[], readers=len(readers), match_s=match_s)
    for empty, theirs in ((NO_MATCHES, [t for t in team_ids if t in members]),
                          (NO_MEMBERS, [t for t in team_ids if t not in members])):
        if theirs:
            written.add(deliveries_write(edition=edition, frequency=frequency, to="team",
                                         chosen={team: chosen[team] for team in theirs},
                                         empty=empty))
    written.write_s = time.perf_counter() - started
    return written


def team_members(team_ids: list[int]) -> dict[int, list[Member]]:
    """Each team's confirmed members (teams with none are left out), in the order invited."""
    found: dict[int, list[Member]] = defaultdict(list)
    rows = (TeamMember.objects.filter(team__in=team_ids, confirmed_at__isnull=False,
                                      subscriber__isnull=False)
            .order_by("team_id", "invited_at", "pk")
            .values_list("team_id", "pk", "subscriber_id", "name", "email"))
    for team, key, reader, name, email in rows:
        found[team].append(Member(key, reader, TeamMember(name=name, email=email).label))
    return found


def teams_sent(team_ids: list[int], *, paper_keys: list[int]) -> dict[int, set[int]]:
    """Which of these papers each team was sent before (or is being sent)."""
    sent: dict[int, set[int]] = defaultdict(set)
    if paper_keys:
        for team, paper in DeliveryItem.objects.filter(
                delivery__team__in=team_ids, paper__in=paper_keys,
                delivery__status__in=["sending", "sent"]).values_list("delivery__team_id",
                                                                      "paper_id"):
            sent[team].add(paper)
    return sent


def members_ranked(readers: set[int], *, edition: date, index: PaperIndex, table: LineTable,
                   extra: dict[int, int]) -> tuple[dict[int, list[tuple[int, str]]],
                                                   dict[int, int]]:
    """Each member's papers of the edition, best first, with why, as their own digest would
    rank them (learning included) whatever they were sent themselves; and each one's own
    limit (papers per email)."""
    ranked, limits = {}, {}
    if not readers:
        return ranked, limits
    topics = topic_lines()
    # No papers asked about: what a member was sent themselves does not count here.
    for _, rows in reader_batches(Subscriber.objects.filter(pk__in=readers), paper_keys=[],
                                  size=MATCHED_AT_ONCE):
        limits.update(zip(rows.keys, rows.limits, strict=True))
        rows = replace(rows, limits=[limit + extra[key] for key, limit in
                                     zip(rows.keys, rows.limits, strict=True)])
        ranked.update(items_with_learning(match(compile_rows(rows, topics=topics, table=table),
                                                index), edition=edition))
    return ranked, limits


def members_votes(readers: set[int], *, paper_keys: list[int]) -> dict[int, dict[int, int]]:
    """Each member's "More / Less like this" (+1 / -1) on these papers."""
    votes: dict[int, dict[int, int]] = defaultdict(dict)
    for reader, paper, value in Vote.objects.filter(
            subscriber__in=readers, paper__in=paper_keys).values_list("subscriber_id",
                                                                      "paper_id", "value"):
        votes[reader][paper] = value
    return votes


def team_items(members: list[Member], *, ranked: dict[int, list[tuple[int, str]]],
               limits: dict[int, int], votes: dict[int, dict[int, int]], sent: set[int],
               limit: int) -> list[tuple[int, str]]:
    """The team's (paper key, why as JSON) items, in the digest's order."""
    why = {member.key: dict(ranked.get(member.reader, [])) for member in members}
    wants = {member.key: [paper for paper, _ in ranked.get(member.reader, [])
                          if paper not in sent][:limits.get(member.reader, 0)]
             for member in members}
    their_votes = {member.key: {paper: value for paper, value
                                in votes.get(member.reader, {}).items() if paper not in sent}
                   for member in members}
    label = {member.key: member.label for member in members}
    reader = {member.key: member.reader for member in members}
    return [(pick.paper, json.dumps([
        {"member": label[key], "reader": reader[key],
         "why": json.loads(why[key][pick.paper]) if pick.paper in why[key] else [VOTED_UP]}
        for key in pick.members]))
        for pick in papers_for_team(wants, limit=limit, votes=their_votes)]
