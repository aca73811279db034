"""A team's digest as mailed to its address and shown in the browser: the readers' digest
(digest.deliver.render) with its own tagline, intro and footer, the papers for several
members first and then each member's under their name, and on each card whom it is for and
why, in each member's own words (their topics and lines, digest.deliver.why)."""

from dataclasses import dataclass
from datetime import date

from django.utils.html import escape

from digest.deliver.items import readers_topics
from digest.deliver.render import DAILY, Digest, Renderer, _tag, tagline_of
from digest.deliver.sections import Section, counted
from digest.deliver.why import NO_GROUPS, ReaderGroups, Why, why_of, why_sentence
from digest.models import Paper
from digest.teams.build import VOTED_UP
from subscriptions.models import Subscriber, Team
from subscriptions.teams.links import unsubscribe_link

SHARED = "For several of you"


@dataclass(frozen=True)
class MemberWhy:
    member: str  # their name on the card
    why: Why | None  # None: they voted "More like this" on the paper itself


@dataclass(frozen=True)
class TeamWhy:
    """Why a paper is in a team's digest: whom it is for, and each one's reasons."""

    entries: tuple[MemberWhy, ...]

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(entry.member for entry in self.entries)

    @property
    def lines(self) -> tuple[str, ...]:
        """Every member's matched lines: what the card's title and summary mark."""
        return tuple(dict.fromkeys(line for entry in self.entries if entry.why
                                   for line in entry.why.lines))


def member_said(entry: MemberWhy, *, named: bool = True) -> str:
    """One member's reason, in plain text: "Ada: Interpretability (sparse, autoencoders)"
    (without "Ada: " when the card is for them alone)."""
    why = entry.why
    if why is None:
        said = "voted “More like this”"
    elif why.recommended:
        close = f", close to {why.because_title or why.because_id}" if why.because_id else ""
        said = f"recommended from what they told us{close}"
    else:
        said = why_sentence(why) or "one of the most upvoted papers"
    return f"{entry.member}: {said}" if named else said[:1].upper() + said[1:]


def reasons_said(why: "TeamWhy") -> list[str]:
    return [member_said(entry, named=len(why.entries) > 1) for entry in why.entries]


def for_whom(members: tuple[str, ...]) -> str:
    """"Ada", "Ada and Grace", "Ada, Grace and Alan"."""
    return members[0] if len(members) == 1 else f"{', '.join(members[:-1])} and {members[-1]}"


class TeamRenderer(Renderer):
    """The readers' renderer, saying what a team's digest says its own way."""

    def __init__(self, team: Team, items: list[tuple[Paper, list[dict]]]):
        """For this team's digest of these papers: the groups (topics and lines) of the
        members they are for are read in two queries."""
        super().__init__()
        self.team = team
        readers = {entry["reader"] for _, matched in items for entry in matched}
        topics = readers_topics(sorted(readers))
        self.members_groups = {reader.pk: self.groups(reader, topics.get(reader.pk, []))
                               for reader in Subscriber.objects.filter(pk__in=readers)}

    def whys(self, items: list[tuple[Paper, list[dict]]], groups: ReaderGroups
             ) -> list[TeamWhy]:
        return [TeamWhy(tuple(MemberWhy(entry["member"], None if entry["why"] == [VOTED_UP]
                                        else why_of(entry["why"], self.members_groups.get(
                                            entry["reader"], NO_GROUPS), title=paper.title))
                              for entry in matched))
                for paper, matched in items]

    def tagline(self, edition: date, frequency: str) -> str:
        return tagline_of(edition, frequency, whose=f"{self.team.name}:")

    def intro(self, whys: list[TeamWhy], frequency: str) -> str:
        members = {member for why in whys for member in why.members}
        shared = sum(1 for why in whys if len(why.members) > 1)
        start = (f"{counted(len(whys), 'new paper')} for {counted(len(members), 'member')} "
                 f"of {self.team.name}")
        if not whys:
            return f"{start}."
        if shared:
            return f"{start}: {shared} for several of you first, then each one's best."
        return f"{start}: each one's best."

    def subject_names(self, whys: list[TeamWhy]) -> tuple[str, ...]:
        return (self.team.name,)

    def sections(self, whys: list[TeamWhy]) -> list[Section]:
        """The papers for several members first, then each member's under their name."""
        shared = tuple(i for i, why in enumerate(whys) if len(why.members) > 1)
        own: dict[str, list[int]] = {}
        for i, why in enumerate(whys):
            if len(why.members) == 1:
                own.setdefault(why.members[0], []).append(i)
        return ([Section(SHARED, shared)] if shared else []) + [
            Section(f"For {member}", tuple(found)) for member, found in own.items()]

    def why_html(self, why: TeamWhy) -> str:
        opening, closing = _tag("p", "why")
        label_open, label_close = _tag("span", "label")
        said = " · ".join(escape(reason) for reason in reasons_said(why))
        return (f"{opening}For {label_open}{escape(for_whom(why.members))}{label_close}"
                f" — {said}{closing}")

    def why_sentence(self, why: TeamWhy) -> str:
        return f"for {for_whom(why.members)} — " + "; ".join(reasons_said(why))


def team_digest_for(*, team: Team, edition: date, items: list[tuple[Paper, list[dict]]],
                    browser_url: str, frequency: str = DAILY) -> tuple[Digest, dict]:
    """The team's digest as mailed to its address, with its unsubscribe link."""
    links = {"unsubscribe_url": unsubscribe_link(team), "browser_url": browser_url,
             "team_name": team.name}
    return TeamRenderer(team, items).digest(
        edition=edition, email=team.address, items=items, links=links, kind="team",
        frequency=frequency), links


def team_digest_for_browser(*, team: Team, edition: date,
                            items: list[tuple[Paper, list[dict]]], browser_url: str,
                            frequency: str = DAILY) -> Digest:
    """The team's digest in the browser: none of its links (whoever holds a forwarded
    digest can open it)."""
    return TeamRenderer(team, items).digest(
        edition=edition, email=team.address, items=items, kind="team-web",
        links={"browser_url": browser_url, "team_name": team.name}, frequency=frequency)
