"""One-click feedback: "More like this", "Less like this" and "Follow this paper" on a
paper, from the links in every digest and on the web. A link is signed per reader, paper and
action and never expires; it needs no session or CSRF cookie, because the token is the
credential. Opening it records nothing (mail scanners open every link): the landing page
POSTs the vote or the follow."""

from dataclasses import dataclass
from datetime import datetime

from django.core import signing

from digest.models import Paper, Vote
from subscriptions.models import Subscriber
from subscriptions.tokens import link_with_token

SALT = "paperboy.digest.feedback"
ACTIONS = {"more": Vote.Value.MORE, "less": Vote.Value.LESS}
FOLLOW = "follow"  # the same signed link, recorded as a follow (digest.follow), not a vote


class BadFeedbackLink(Exception):
    pass


@dataclass(frozen=True)
class Feedback:
    subscriber: Subscriber
    paper: Paper
    action: str  # "more", "less" or "follow"

    @property
    def value(self) -> int:
        return ACTIONS[self.action]


def feedback_token(*, subscriber: Subscriber, arxiv_id: str, action: str) -> str:
    # Uncompressed: a digest signs two links per paper, and zlib was a tenth of sending.
    # Links made compressed before still read (unsign_object sees which a token is).
    return signing.Signer(salt=SALT).sign_object([subscriber.token, arxiv_id, action])


def feedback_url(*, subscriber: Subscriber, arxiv_id: str, action: str) -> str:
    return link_with_token("feedback", feedback_token(subscriber=subscriber, arxiv_id=arxiv_id,
                                                      action=action))


def feedback_read(*, token: str) -> Feedback:
    """Whose vote, on which paper, which way; BadFeedbackLink when the link was tampered with
    or names a reader or paper that is gone."""
    try:
        subscriber_token, arxiv_id, action = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadFeedbackLink from None
    subscriber = Subscriber.objects.filter(token=subscriber_token).first()
    paper = Paper.objects.filter(arxiv_id=arxiv_id).first()
    if subscriber is None or paper is None or (action not in ACTIONS and action != FOLLOW):
        raise BadFeedbackLink
    return Feedback(subscriber=subscriber, paper=paper, action=action)


def vote_record(*, feedback: Feedback, now: datetime) -> Vote:
    """The reader's vote on the paper, replacing any earlier one. Whether the paper came as a
    recommendation is read from what the reader was sent."""
    recommended = feedback.paper.delivery_items.filter(
        delivery__subscriber=feedback.subscriber, matched__0__recommended=True).exists()
    vote, _ = Vote.objects.update_or_create(
        subscriber=feedback.subscriber, paper=feedback.paper,
        defaults={"value": feedback.value, "voted_at": now, "recommended": recommended})
    return vote


def vote_undo(*, feedback: Feedback) -> bool:
    deleted, _ = Vote.objects.filter(subscriber=feedback.subscriber,
                                     paper=feedback.paper).delete()
    return bool(deleted)
