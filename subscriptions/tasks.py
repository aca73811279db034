"""Celery tasks for subscribers: thin wrappers that load by id and call the services."""

from celery import shared_task
from django.utils import timezone

from subscriptions import emails
from subscriptions.models import SignupRequest, Subscriber, Team, TeamMember
from subscriptions.retention import signup_requests_purge, team_invitations_purge
from subscriptions.teams import mails as team_mails

# Mail goes out from a worker, so a slow or failing ESP never breaks a page; transient
# failures (network, ESP 5xx or 429) are retried with backoff.
MAIL_RETRY = {"autoretry_for": (OSError,), "retry_backoff": 30, "retry_backoff_max": 900,
              "max_retries": 8}


@shared_task
def purge_unconfirmed() -> int:
    now = timezone.now()
    return signup_requests_purge(now=now) + team_invitations_purge(now=now)


def _subscriber(subscriber_id: int) -> Subscriber | None:
    return Subscriber.objects.filter(pk=subscriber_id).first()


@shared_task(**MAIL_RETRY)
def send_confirmation(request_id: int) -> None:
    request = SignupRequest.objects.filter(pk=request_id, confirmed_at=None).first()
    if request is not None:
        emails.send_confirmation(request)


@shared_task
def send_confirmations(request_ids: list[int]) -> None:
    """The confirmation mails of many requests (an import's), one task for them all. A mail
    that fails for a moment is handed to send_confirmation, which retries it on its own,
    and the others go on. Run twice (its worker lost half-way), some owners get the mail
    twice, as with send_confirmation."""
    requests = SignupRequest.objects.filter(pk__in=request_ids, confirmed_at=None)
    for request in requests.order_by("pk"):
        try:
            emails.send_confirmation(request)
        except OSError:
            send_confirmation.delay(request.pk)


@shared_task(**MAIL_RETRY)
def send_manage_link(subscriber_id: int) -> None:
    subscriber = _subscriber(subscriber_id)
    if subscriber and subscriber.status in (Subscriber.Status.ACTIVE,
                                            Subscriber.Status.UNSUBSCRIBED):
        emails.send_manage_link(subscriber)


@shared_task(**MAIL_RETRY)
def send_welcome(subscriber_id: int) -> None:
    subscriber = _subscriber(subscriber_id)
    if subscriber and subscriber.status == Subscriber.Status.ACTIVE:
        emails.send_welcome(subscriber)


@shared_task(**MAIL_RETRY)
def send_team_invitation(member_id: int) -> None:
    """Mailed only to an active reader's address (only readers can be members)."""
    member = TeamMember.objects.select_related("team__owner").filter(
        pk=member_id, confirmed_at=None).first()
    if member and Subscriber.objects.filter(email=member.email,
                                            status=Subscriber.Status.ACTIVE).exists():
        team_mails.send_team_invitation(member)


@shared_task(**MAIL_RETRY)
def send_team_confirmation(team_id: int) -> None:
    team = Team.objects.filter(pk=team_id).exclude(confirm_key="").first()
    if team is not None:
        team_mails.send_team_confirmation(team)
