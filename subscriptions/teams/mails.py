"""A team's mails, built by subscriptions.emails like every other: a member's invitation
and the address's confirmation request."""

from django.conf import settings

from subscriptions.emails import message_build
from subscriptions.models import Team, TeamMember
from subscriptions.teams import links


def send_team_invitation(member: TeamMember) -> None:
    team = member.team
    message_build(
        template="team_invitation", to=member.email,
        context={"team": team, "member": member, "join_url": links.invitation_link(member),
                 "inviter": team.owner.email if team.owner else "",
                 "days": settings.CONFIRM_LINK_MAX_AGE_DAYS},
    ).send()


def send_team_confirmation(team: Team) -> None:
    message_build(
        template="team_confirm", to=team.address,
        context={"team": team, "confirm_url": links.confirmation_link(team),
                 "inviter": team.owner.email if team.owner else "",
                 "days": settings.CONFIRM_LINK_MAX_AGE_DAYS},
    ).send()
