"""A team's signed links, each purpose with its own salt (subscriptions.tokens' rules): a
member's invitation and the address's confirmation expire like a sign-up's confirmation,
the team's unsubscribe link never does. Each carries a random key of its row: an
invitation its membership's, a confirmation the team's open confirm_key (spent once used,
so an old link cannot bring back a team its address unsubscribed), the unsubscribe link the
team's token."""

from django.conf import settings
from django.urls import reverse

from subscriptions.models import Team, TeamMember
from subscriptions.tokens import BadToken, Purpose, sign_with, unsign_with

JOIN, CONFIRM, UNSUBSCRIBE = "team-join", "team-confirm", "team-unsubscribe"


def _rule(purpose: str) -> Purpose:
    days = None if purpose == UNSUBSCRIBE else settings.CONFIRM_LINK_MAX_AGE_DAYS
    return Purpose(salt=f"paperboy.subscriptions.{purpose}", max_age_days=days)


def _absolute(purpose: str, value: str) -> str:
    token = sign_with(value, _rule(purpose))
    return settings.SITE_URL + reverse(f"subscriptions:{purpose}", args=[token])


def invitation_link(member: TeamMember) -> str:
    return _absolute(JOIN, member.key)


def confirmation_link(team: Team) -> str:
    return _absolute(CONFIRM, team.confirm_key)


def unsubscribe_link(team: Team) -> str:
    return _absolute(UNSUBSCRIBE, team.token)


def invitation_read(token: str) -> TeamMember:
    """The invitation a link belongs to; BadToken "used" when it is gone (confirmed and
    left, removed, or purged)."""
    member = TeamMember.objects.select_related("team").filter(
        key=unsign_with(token, _rule(JOIN))).first()
    if member is None:
        raise BadToken("used")
    return member


def confirmation_read(token: str) -> Team:
    """The team whose open confirmation a link is; BadToken "used" once it was used or
    replaced by a newer one."""
    key = unsign_with(token, _rule(CONFIRM))
    team = Team.objects.filter(confirm_key=key).first() if key else None
    if team is None:
        raise BadToken("used")
    return team


def unsubscribe_read(token: str) -> Team:
    team = Team.objects.filter(token=unsign_with(token, _rule(UNSUBSCRIBE))).first()
    if team is None:
        raise BadToken("invalid")
    return team
