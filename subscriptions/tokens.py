"""Signed links. Each purpose has its own salt, so a token made for one purpose never works
for another. Manage and unsubscribe links carry the subscriber's random token, so rotating
that revokes them all; a confirmation link carries its sign-up request's random key.
Confirm and manage links expire; unsubscribe links never do, nor do private feed addresses
(a feed reader cannot ask for a new one)."""

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core import signing
from django.urls import reverse

from subscriptions.models import SignupRequest, Subscriber

CONFIRM, MANAGE, UNSUBSCRIBE, FEED = "confirm", "manage", "unsubscribe", "feed"


class BadToken(Exception):
    """A link that was tampered with, expired, or belongs to nobody."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Purpose:
    salt: str
    max_age_days: int | None  # None: never expires


def _purpose(name: str) -> Purpose:
    ages = {CONFIRM: settings.CONFIRM_LINK_MAX_AGE_DAYS,
            MANAGE: settings.MANAGE_LINK_MAX_AGE_DAYS, UNSUBSCRIBE: None, FEED: None}
    return Purpose(salt=f"paperboy.subscriptions.{name}", max_age_days=ages[name])


def _signer(rule: Purpose) -> signing.Signer:
    if rule.max_age_days is None:
        return signing.Signer(salt=rule.salt)
    return signing.TimestampSigner(salt=rule.salt)


def _sign(value: str, purpose: str) -> str:
    return sign_with(value, _purpose(purpose))


def _unsign(token: str, purpose: str) -> str:
    return unsign_with(token, _purpose(purpose))


def sign_with(value: str, rule: Purpose) -> str:
    """`value` signed for a purpose (another app's links: a team's, say)."""
    return _signer(rule).sign(value)


def unsign_with(token: str, rule: Purpose) -> str:
    """What `token` signs, or BadToken saying why not."""
    try:
        if rule.max_age_days is None:
            return _signer(rule).unsign(token)
        return _signer(rule).unsign(token, max_age=rule.max_age_days * 86400)
    except signing.SignatureExpired:
        raise BadToken("expired") from None
    except signing.BadSignature:
        raise BadToken("invalid") from None


def token_make(*, subscriber: Subscriber, purpose: str) -> str:
    """A subscriber's manage, unsubscribe or feed token."""
    return _sign(subscriber.token, purpose)


def token_read(*, token: str, purpose: str) -> Subscriber:
    """The subscriber a manage, unsubscribe or feed link belongs to, or BadToken saying why
    not."""
    value = _unsign(token, purpose)
    subscriber = Subscriber.objects.filter(token=value).first()
    if subscriber is None:
        raise BadToken("invalid")
    return subscriber


def confirm_token_make(*, request: SignupRequest) -> str:
    return _sign(request.key, CONFIRM)


def confirm_token_read(*, token: str) -> SignupRequest:
    """The sign-up request a confirmation link belongs to, or BadToken saying why not."""
    value = _unsign(token, CONFIRM)
    request = SignupRequest.objects.filter(key=value).first()
    if request is None:
        raise BadToken("invalid")
    return request


def _absolute(purpose: str, token: str) -> str:
    return settings.SITE_URL + reverse(f"subscriptions:{purpose}", args=[token])


def link(*, subscriber: Subscriber, purpose: str) -> str:
    """The absolute URL of a subscriber's manage or unsubscribe link, for mail."""
    return _absolute(purpose, token_make(subscriber=subscriber, purpose=purpose))


def feed_link(*, subscriber: Subscriber) -> str:
    """The absolute URL of a reader's private Atom feed (a digest screen: its route is the
    project's, config/urls.py)."""
    return link_with_token("reader-feed", token_make(subscriber=subscriber, purpose=FEED))


def link_with_token(route: str, token: str) -> str:
    """The absolute URL of route `route` (one token argument) for `token`: links every
    digest carries many of (feedback on each card, the feed) use it, as reverse() costs
    several times the signature."""
    return settings.SITE_URL + _route_path(route).replace(PLACEHOLDER, token)


PLACEHOLDER = "TOKEN"


@cache
def _route_path(route: str) -> str:
    """The route's path with a placeholder for the token, resolved once per process."""
    return reverse(route, args=[PLACEHOLDER])


def confirm_link(*, request: SignupRequest) -> str:
    return _absolute(CONFIRM, confirm_token_make(request=request))
