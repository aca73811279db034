"""How long Paperboy keeps what. A sign-up nobody confirmed is kept only as long as its
confirmation link works: consent is the only reason to hold an address. Records of readers
who opted out are kept (they are what stops an address being mailed again). Team
invitations nobody confirmed go the same way."""

from datetime import datetime, timedelta

from django.conf import settings

from subscriptions.models import SignupRequest, TeamMember


def signup_requests_purge(*, now: datetime) -> int:
    """Delete sign-up requests whose confirmation link has expired; returns how many."""
    older_than = timedelta(days=settings.CONFIRM_LINK_MAX_AGE_DAYS)
    deleted, _ = SignupRequest.objects.filter(requested_at__lt=now - older_than).delete()
    return deleted


def team_invitations_purge(*, now: datetime) -> int:
    """Delete team invitations whose link has expired unconfirmed; returns how many."""
    older_than = timedelta(days=settings.CONFIRM_LINK_MAX_AGE_DAYS)
    deleted, _ = TeamMember.objects.filter(confirmed_at__isnull=True,
                                           invited_at__lt=now - older_than).delete()
    return deleted
