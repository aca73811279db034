"""Signed links for subscribers. Each purpose has its own salt, so a token made for one
purpose never works for another; each carries the subscriber's random token, so rotating
that revokes every link. Confirm and manage links expire; unsubscribe links never do."""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from subscriptions.models import Subscriber

CONFIRM, MANAGE, UNSUBSCRIBE = "confirm", "manage", "unsubscribe"


class BadToken(Exception):
    """A link that was tampered with, expired, or belongs to no subscriber."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Purpose:
    salt: str
    max_age_days: int | None  # None: never expires


def _purpose(name: str) -> Purpose:
    ages = {CONFIRM: settings.CONFIRM_LINK_MAX_AGE_DAYS,
            MANAGE: settings.MANAGE_LINK_MAX_AGE_DAYS, UNSUBSCRIBE: None}
    return Purpose(salt=f"paperboy.subscriptions.{name}", max_age_days=ages[name])


def token_make(*, subscriber: Subscriber, purpose: str) -> str:
    rule = _purpose(purpose)
    if rule.max_age_days is None:
        return signing.Signer(salt=rule.salt).sign(subscriber.token)
    return signing.TimestampSigner(salt=rule.salt).sign(subscriber.token)


def token_read(*, token: str, purpose: str) -> Subscriber:
    """The subscriber a link belongs to, or BadToken saying why not."""
    rule = _purpose(purpose)
    try:
        if rule.max_age_days is None:
            value = signing.Signer(salt=rule.salt).unsign(token)
        else:
            value = signing.TimestampSigner(salt=rule.salt).unsign(
                token, max_age=rule.max_age_days * 86400)
    except signing.SignatureExpired:
        raise BadToken("expired") from None
    except signing.BadSignature:
        raise BadToken("invalid") from None
    subscriber = Subscriber.objects.filter(token=value).first()
    if subscriber is None:
        raise BadToken("invalid")
    return subscriber


def link(*, subscriber: Subscriber, purpose: str) -> str:
    """The absolute URL of a subscriber's link, for mail."""
    token = token_make(subscriber=subscriber, purpose=purpose)
    return settings.SITE_URL + reverse(f"subscriptions:{purpose}", args=[token])
