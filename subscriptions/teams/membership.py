"""Teams: creating one, inviting and confirming its members, and its address's consent.

- A team mails nothing until its address confirms: a signed link mailed to the address
  (a lab's mailing list), whose page has a button; the POST confirms (the readers' double
  opt-in). Its unsubscribe link (and the RFC 8058 one-click POST) stops the team's digest;
  its members' own subscriptions stay as they are. Only a fresh confirmation brings the team
  back: asking for one spends any older link.
- A member counts once they confirm the mailed invitation themselves. Invitations are
  mailed only to addresses of active readers, but every invited address is listed alike on
  the owner's page, so a team never tells its owner who reads Paperboy. An invitation nobody
  confirmed is deleted when its link expires.
- The reader who creates a team is its first member (they asked for it), and manages it.
"""

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from subscriptions import tasks
from subscriptions.addresses import email_normalize
from subscriptions.models import Subscriber, Team, TeamMember, new_token
from subscriptions.pausing import PAUSES

MAX_MEMBERS = 50  # addresses a team may have, invited or confirmed
MAX_TEAMS_OWNED = 10
Status = Team.Status


@dataclass(frozen=True)
class Invitee:
    email: str
    name: str = ""


@dataclass
class TeamSchedule:
    """When a team's digest goes, and how long it is."""

    frequency: str = Subscriber.Frequency.DAILY
    timezone: str = "UTC"
    send_hour: int = 8
    papers_per_email: int = 15

    def apply(self, team: Team) -> None:
        for field in fields(self):
            setattr(team, field.name, getattr(self, field.name))

    @classmethod
    def of(cls, team: Team) -> "TeamSchedule":
        return cls(**{field.name: getattr(team, field.name) for field in fields(cls)})


def team_create(*, name: str, address: str, owner: Subscriber | None, schedule: TeamSchedule,
                invitees: list[Invitee], now: datetime) -> Team:
    """A new team, waiting for its address to confirm (the link is mailed), with its owner
    as a member and the others invited."""
    with transaction.atomic():
        team = Team(name=name, address=address, owner=owner)
        schedule.apply(team)
        team.save()
        if owner is not None:
            TeamMember.objects.create(team=team, email=owner.email, subscriber=owner,
                                      invited_at=now, confirmed_at=now)
        team_invite(team=team, invitees=invitees, now=now)
        team_address_ask(team=team, by_operator=owner is None)
    return team


def team_invite(*, team: Team, invitees: list[Invitee], now: datetime) -> int:
    """Invite these addresses (those not invited already, up to MAX_MEMBERS in all); the
    invitation mail goes to the addresses of active readers only. Returns how many were
    added."""
    taken = set(team.members.values_list("email", flat=True))
    new = []
    for invitee in invitees:
        email = email_normalize(invitee.email)
        if email not in taken and len(taken) < MAX_MEMBERS:
            taken.add(email)
            new.append(TeamMember(team=team, email=email, name=invitee.name.strip()[:60],
                                  invited_at=now))
    for member in new:
        member.save()
        tasks.send_team_invitation.delay_on_commit(member.pk)
    return len(new)


def team_invitations_send(*, members: list[TeamMember]) -> None:
    """Mail these invitations (again): an operator added them, or asks once more."""
    for member in members:
        if not member.confirmed:
            tasks.send_team_invitation.delay_on_commit(member.pk)


def team_member_join(*, member: TeamMember, now: datetime) -> TeamMember | None:
    """The invited reader confirms (a POST from the mailed link). Safe to repeat. None when
    the address is not an active reader's (they unsubscribed since, say)."""
    with transaction.atomic():
        member = TeamMember.objects.select_for_update().get(pk=member.pk)
        if member.confirmed:
            return member
        reader = Subscriber.objects.filter(email=member.email,
                                           status=Subscriber.Status.ACTIVE).first()
        if reader is None:
            return None
        member.subscriber, member.confirmed_at = reader, now
        member.save(update_fields=["subscriber", "confirmed_at"])
    return member


def team_member_remove(*, member: TeamMember) -> None:
    """A member leaves, or the owner removes them (or an invitation)."""
    TeamMember.objects.filter(pk=member.pk).delete()


def team_address_ask(*, team: Team, by_operator: bool = False) -> bool:
    """Mail the team's address a fresh confirmation link, spending any older one: for a
    team waiting for it or unsubscribed; an operator may also ask a suppressed team."""
    asking = {Status.PENDING, Status.UNSUBSCRIBED} | ({Status.SUPPRESSED} if by_operator
                                                     else set())
    if team.status not in asking:
        return False
    team.confirm_key = new_token()
    Team.objects.filter(pk=team.pk).update(confirm_key=team.confirm_key)
    tasks.send_team_confirmation.delay_on_commit(team.pk)
    return True


def team_address_confirm(*, team: Team, now: datetime) -> bool:
    """The address confirms (a POST from the mailed link): the team is active. False when
    the link was spent meanwhile."""
    changed = Team.objects.filter(pk=team.pk, confirm_key=team.confirm_key).exclude(
        confirm_key="").update(status=Status.ACTIVE, status_changed_at=now, confirm_key="",
                               confirmed_at=now)
    if changed:
        team.status, team.confirm_key, team.confirmed_at = Status.ACTIVE, "", now
    return bool(changed)


def team_status_change(*, team: Team, new_status: str, now: datetime,
                       only_from: set[str]) -> bool:
    """Stop a team's mail (unsubscribed, suppressed): a conditional update, so it happens
    once; any open confirmation link is spent."""
    changed = Team.objects.filter(pk=team.pk, status__in=only_from).update(
        status=new_status, status_changed_at=now, confirm_key="")
    if changed:
        team.status, team.confirm_key = new_status, ""
    return bool(changed)


def team_unsubscribe(*, team: Team, now: datetime) -> bool:
    """The team's unsubscribe link (or its one-click POST): no more digests to its address.
    Idempotent; the members' own subscriptions are untouched."""
    return team_status_change(team=team, new_status=Status.UNSUBSCRIBED, now=now,
                              only_from={Status.ACTIVE, Status.PENDING})


def team_suppress(*, team: Team, now: datetime) -> bool:
    """An operator (or the ESP: the address bounced or complained) stops all its mail."""
    return team_status_change(team=team, new_status=Status.SUPPRESSED, now=now,
                              only_from={Status.ACTIVE, Status.PENDING, Status.UNSUBSCRIBED})


def teams_address_event(*, address: str, unsubscribed: bool, now: datetime) -> int:
    """The ESP says mail to `address` bounced or was complained about (or, `unsubscribed`,
    that its reader unsubscribed there): the teams mailed there stop. Returns how many."""
    new_status = Status.UNSUBSCRIBED if unsubscribed else Status.SUPPRESSED
    return Team.objects.filter(address=email_normalize(address), status=Status.ACTIVE).update(
        status=new_status, status_changed_at=now, confirm_key="")


def team_update(*, team: Team, name: str, schedule: TeamSchedule) -> None:
    team.name = name
    schedule.apply(team)
    team.save(update_fields=["name", *(field.name for field in fields(TeamSchedule))])


def team_today(team: Team, *, now: datetime) -> date:
    """The team's date, which its editions are dated by."""
    return now.astimezone(ZoneInfo(team.timezone)).date()


def team_paused_until(team: Team, *, now: datetime) -> date | None:
    """The last day of the team's pause, or None when it is not paused."""
    until = team.paused_until
    return until if until and until >= team_today(team, now=now) else None


def team_pause(*, team: Team, choice: str, now: datetime) -> date:
    """Pause for one of PAUSES from the team's today; returns the pause's last day."""
    until = team_today(team, now=now) + timedelta(days=PAUSES[choice][1])
    Team.objects.filter(pk=team.pk).update(paused_until=until)
    team.paused_until = until
    return until


def team_resume(*, team: Team) -> None:
    Team.objects.filter(pk=team.pk).update(paused_until=None)
    team.paused_until = None


def team_delete(*, team: Team) -> None:
    """The owner ends the team: it, its members' memberships and its digests' records."""
    team.delete()

