"""Consent: how an address comes to be mailed, and how it stops.

A reader's status changes only here, and every change (and every act on their consent that
changes nothing, such as an operator asking them to confirm again) is written to their
history with who, when and why. The rules:

- A sign-up changes nothing: it is a SignupRequest until the owner confirms it from the
  link mailed to them (double opt-in). Confirming is the only way to become active, and
  records the consent's time and address.
- Unsubscribed, bounced or complained readers become active again only by confirming a new
  request themselves; an operator can ask them to (a fresh opt-in mail), never set it.
- An operator's suppression is lifted back to where the reader was before it, which is
  never "active" for someone who had opted out.
"""

import json
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction

from subscriptions import tasks
from subscriptions.addresses import address_hash, address_hashes, email_normalize
from subscriptions.bulk import db_datetime, rows_create, rows_insert, rows_where_in
from subscriptions.models import (
    ErasedAddress,
    HistoryEntry,
    SignupRequest,
    Subscriber,
    new_token,
)
from subscriptions.services import Preferences

Status = Subscriber.Status
# Addresses a web form never mails: the mailbox bounced, its owner complained, or an
# operator stopped it.
NEVER_FROM_A_FORM = {Status.BOUNCED, Status.COMPLAINED, Status.SUPPRESSED}
READER, IMPORT = "reader", "import"
IMPORT_BATCH = 2000  # rows an import writes in one transaction
MAILS_PER_TASK = 500  # confirmation mails one task sends (tasks.send_confirmations)


def operator(username: str) -> str:
    """How an operator is named in a reader's history."""
    return f"operator {username}"


def _record(*, subscriber: Subscriber, old: str, new: str, actor: str, action: str,
            reason: str, now: datetime, ip: str | None = None) -> None:
    HistoryEntry.objects.create(subscriber=subscriber, at=now, actor=actor[:200],
                                action=action, old_status=old, new_status=new,
                                reason=reason[:500], ip=ip)


def subscriber_status_change(*, subscriber: Subscriber, new_status: str, actor: str,
                             action: str, reason: str, now: datetime,
                             only_from: set[str] | None = None) -> bool:
    """The one way an existing reader's status changes. False (and nothing written) when
    it is already `new_status`, or not one of `only_from`."""
    with transaction.atomic():
        current = (Subscriber.objects.select_for_update().filter(pk=subscriber.pk)
                   .values_list("status", flat=True).first())
        if current is None or current == new_status or (
                only_from is not None and current not in only_from):
            return False
        Subscriber.objects.filter(pk=subscriber.pk).update(status=new_status,
                                                           status_changed_at=now)
        _record(subscriber=subscriber, old=current, new=new_status, actor=actor, action=action,
                reason=reason, now=now)
    subscriber.status, subscriber.status_changed_at = new_status, now
    return True


def history_note(*, subscriber: Subscriber, actor: str, action: str, reason: str,
                 now: datetime) -> None:
    """An act on a reader's consent that leaves their status as it is."""
    _record(subscriber=subscriber, old=subscriber.status, new=subscriber.status, actor=actor,
            action=action, reason=reason, now=now)


# --- Opting in ---------------------------------------------------------------------------


def signup_request_create(*, email: str, preferences: Preferences, origin: str,
                          now: datetime) -> SignupRequest:
    """Store what was asked for and mail its owner the confirmation link."""
    request = SignupRequest.objects.create(email=email, preferences=preferences.to_json(),
                                           origin=origin, requested_at=now)
    tasks.send_confirmation.delay_on_commit(request.pk)
    return request


def subscriber_signup(*, email: str, preferences: Preferences, now: datetime,
                      origin: str = SignupRequest.Origin.SIGNUP) -> str:
    """A sign-up from the web. Changes no record: an active reader is mailed their manage
    link, an address that must not be mailed is left alone, anyone else gets a
    confirmation link. Returns what happened (for logs and tests); the visitor sees the
    same page whatever it is."""
    subscriber = Subscriber.objects.filter(email=email_normalize(email)).first()
    if subscriber is not None and subscriber.status in NEVER_FROM_A_FORM:
        return "suppressed"
    if subscriber is not None and subscriber.status == Status.ACTIVE:
        tasks.send_manage_link.delay_on_commit(subscriber.pk)
        return "already-active"
    signup_request_create(email=email, preferences=preferences, origin=origin, now=now)
    return "confirmation-sent"


def signup_request_confirm(*, request: SignupRequest, ip: str | None,
                           now: datetime) -> Subscriber | None:
    """The owner confirms a request (a POST from the mailed link): they are active with the
    preferences they asked for, and their consent's time and address are recorded. Safe to
    repeat. None when the address may not be subscribed this way (an operator suppressed
    it, and the request is not the operator's own)."""
    with transaction.atomic():
        request = SignupRequest.objects.select_for_update().get(pk=request.pk)
        subscriber = Subscriber.objects.select_for_update().filter(email=request.email).first()
        if subscriber is not None and subscriber.status == Status.SUPPRESSED and (
                request.origin != SignupRequest.Origin.OPERATOR):
            return None
        if request.confirmed_at is not None or (
                subscriber is not None and subscriber.status == Status.ACTIVE):
            SignupRequest.objects.filter(pk=request.pk, confirmed_at=None).update(
                confirmed_at=now)
            return subscriber
        old = subscriber.status if subscriber else ""
        subscriber = subscriber or Subscriber(email=request.email)
        preferences = Preferences.from_json(request.preferences)
        preferences.apply(subscriber)
        subscriber.status, subscriber.status_changed_at = Status.ACTIVE, now
        subscriber.consent_at, subscriber.consent_ip = now, ip
        subscriber.save()
        subscriber.topics.set(preferences.topics)
        _record(subscriber=subscriber, old=old, new=Status.ACTIVE, actor=READER,
                action="confirmed", now=now, ip=ip,
                reason=f"confirmed by the owner from the mailed link "
                       f"({request.get_origin_display().lower()})")
        # Every open request of this address is spent: its owner has chosen.
        SignupRequest.objects.filter(email=request.email, confirmed_at=None).update(
            confirmed_at=now)
        ErasedAddress.objects.filter(address_hash=address_hash(request.email)).delete()
    tasks.send_welcome.delay_on_commit(subscriber.pk)
    return subscriber


def subscriber_import(*, email: str, preferences: Preferences, confirmed: bool,
                      now: datetime) -> str:
    """An address an operator brings from another list (subscribers_import, for one)."""
    [outcome] = subscribers_import(rows=[(email, preferences)], confirmed=confirmed, now=now)
    return outcome


def subscribers_import(*, rows: Sequence[tuple[str, Preferences]], confirmed: bool,
                       now: datetime) -> list[str]:
    """Addresses an operator brings from another list, written in one transaction. Never
    changes an existing record, never brings back an erased one, never asks twice. Confirmed
    rows count as opted in (the operator vouches for consent given elsewhere): each is a
    reader with the history entry that says so. Others get a confirmation mail, queued once
    the rows are written, MAILS_PER_TASK to a task. Returns each row's outcome: "added",
    "confirmation-sent", "exists" or "erased". Checked in a few queries, so call it with
    batches of thousands (IMPORT_BATCH)."""
    emails = [email_normalize(email) for email, _ in rows]
    hashes = address_hashes(emails)
    erased = {hashed for (hashed,) in
              rows_where_in(ErasedAddress, ["address_hash"], "address_hash", hashes)}
    # A reader, or an address already asked to confirm.
    taken = {email for (email,) in rows_where_in(Subscriber, ["email"], "email", emails)}
    taken |= {email for email, confirmed_at in
              rows_where_in(SignupRequest, ["email", "confirmed_at"], "email", emails)
              if confirmed_at is None}
    added = "added" if confirmed else "confirmation-sent"
    outcomes, new = [], []
    for (_, preferences), email, hashed in zip(rows, emails, hashes, strict=True):
        if hashed in erased:
            outcomes.append("erased")
        elif email in taken:
            outcomes.append("exists")
        else:
            outcomes.append(added)
            new.append((email, preferences))
            taken.add(email)
    if new:
        with transaction.atomic():
            if confirmed:
                _subscribers_create(new, now=now)
            else:
                _import_requests_create(new, now=now)
    return outcomes


IMPORTED = "imported as confirmed: the operator vouches for consent given elsewhere"
READER_FIELDS = ("email", "status", "status_changed_at", "consent_at", "token", "created_at",
                 "updated_at", *Preferences.FIELDS)
HISTORY_FIELDS = ("subscriber", "at", "actor", "action", "old_status", "new_status", "reason")
REQUEST_FIELDS = ("key", "email", "preferences", "origin", "requested_at")


def _subscribers_create(rows: list[tuple[str, Preferences]], *, now: datetime) -> None:
    at = db_datetime(now)
    reader_ids = rows_create(Subscriber, READER_FIELDS, [
        (email, Status.ACTIVE.value, at, at, new_token(), at, at,
         *(getattr(preferences, name) for name in Preferences.FIELDS))
        for email, preferences in rows], unique="token")
    Through = Subscriber.topics.through
    rows_insert(Through, ("subscriber", "topic"), [
        (reader, topic.pk) for reader, (_, preferences) in zip(reader_ids, rows, strict=True)
        for topic in preferences.topics])
    rows_insert(HistoryEntry, HISTORY_FIELDS, [
        (reader, at, IMPORT, "imported", "", Status.ACTIVE.value, IMPORTED)
        for reader in reader_ids])


def _import_requests_create(rows: list[tuple[str, Preferences]], *, now: datetime) -> None:
    at = db_datetime(now)
    ids = rows_create(SignupRequest, REQUEST_FIELDS, [
        (new_token(), email, json.dumps(preferences.to_json()),
         SignupRequest.Origin.IMPORT.value, at)
        for email, preferences in rows], unique="key")
    for start in range(0, len(ids), MAILS_PER_TASK):
        tasks.send_confirmations.delay_on_commit(ids[start:start + MAILS_PER_TASK])


# --- Opting out, and operators -------------------------------------------------------------


def subscriber_unsubscribe(*, subscriber: Subscriber, now: datetime,
                           how: str = "the unsubscribe link") -> bool:
    """Idempotent; an address that was suppressed stays suppressed."""
    return subscriber_status_change(
        subscriber=subscriber, new_status=Status.UNSUBSCRIBED, actor=READER,
        action="unsubscribed", reason=f"unsubscribed with {how}", now=now,
        only_from={Status.ACTIVE})


def subscriber_suppress(*, subscriber: Subscriber, actor: str, reason: str,
                        now: datetime) -> bool:
    """An operator stops all mail to an address, saying why."""
    return subscriber_status_change(subscriber=subscriber, new_status=Status.SUPPRESSED,
                                    actor=actor, action="suppressed", reason=reason, now=now)


def status_before_suppression(subscriber: Subscriber) -> str:
    """Where the reader was before the operator's suppression; unknown (a suppression older
    than the history) counts as unsubscribed: never mail without knowing."""
    entry = subscriber.history.filter(new_status=Status.SUPPRESSED).exclude(
        old_status=Status.SUPPRESSED).first()
    if entry is None or entry.old_status not in Status.values:
        return Status.UNSUBSCRIBED
    return entry.old_status


def subscriber_lift_suppression(*, subscriber: Subscriber, actor: str, reason: str,
                                now: datetime) -> bool:
    """Lift an operator's suppression: back to where the reader was (active only if they
    were active). Bounces and complaints are not lifted here: the reader confirms again."""
    if subscriber.status != Status.SUPPRESSED:
        return False
    return subscriber_status_change(
        subscriber=subscriber, new_status=status_before_suppression(subscriber), actor=actor,
        action="suppression lifted", reason=reason, now=now, only_from={Status.SUPPRESSED})


def subscriber_ask_to_confirm(*, subscriber: Subscriber, actor: str, reason: str,
                              now: datetime) -> bool:
    """Mail a reader who is not active a fresh opt-in, with the choices they had. Nothing
    changes unless they confirm it themselves."""
    if subscriber.status == Status.ACTIVE:
        return False
    signup_request_create(email=subscriber.email, preferences=Preferences.of(subscriber),
                          origin=SignupRequest.Origin.OPERATOR, now=now)
    history_note(subscriber=subscriber, actor=actor, action="asked to confirm again",
                 reason=reason, now=now)
    return True


def subscriber_send_manage_link(*, subscriber: Subscriber, actor: str,
                                now: datetime) -> bool:
    """Mail a reader a fresh link to their preferences (active or unsubscribed readers only:
    the others may not be mailed)."""
    if subscriber.status not in (Status.ACTIVE, Status.UNSUBSCRIBED):
        return False
    tasks.send_manage_link.delay_on_commit(subscriber.pk)
    history_note(subscriber=subscriber, actor=actor, action="manage link sent",
                 reason="mailed a fresh link to their preferences", now=now)
    return True


def subscriber_send_link(*, email: str) -> str:
    """The "mail me my link" form: the preferences link to an active or unsubscribed reader,
    the latest confirmation again to an address with an open sign-up, nothing otherwise.
    The visitor sees the same page."""
    email = email_normalize(email)
    subscriber = Subscriber.objects.filter(email=email).first()
    if subscriber is not None and subscriber.status in (Status.ACTIVE, Status.UNSUBSCRIBED):
        tasks.send_manage_link.delay_on_commit(subscriber.pk)
        return "manage-link-sent"
    if subscriber is None or subscriber.status not in NEVER_FROM_A_FORM:
        request = SignupRequest.objects.filter(email=email, confirmed_at=None).first()
        if request is not None:
            tasks.send_confirmation.delay_on_commit(request.pk)
            return "confirmation-sent"
    return "nothing-sent"
