"""A reader's test digest: their latest edition built from their filters as they are now,
with the papers they were already sent (a test shows what their filters pick), without a
delivery row. Nothing is recorded, nothing marked as sent: what an operator previews or
mails themselves to check a reader's filters."""

import json
from datetime import date, datetime

from django.conf import settings
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from digest.deliver.render import Digest, Renderer, digest_for_browser
from digest.editions.build import edition_batches
from digest.editions.due import edition_after, edition_latest, edition_window
from digest.learn.digests import items_with_learning
from digest.match.inputs import papers_between
from digest.models import Paper
from subscriptions.emails import message_build
from subscriptions.models import Subscriber


class NoTestDigest(Exception):
    """Why a reader's test digest has no papers, in a sentence for the operator."""


def edition_latest_with_papers(*, subscriber: Subscriber, now: datetime) -> date:
    """The reader's latest edition; when no paper of its days is stored (ingestion has not
    run lately), the latest edition that has papers."""
    frequency = subscriber.frequency
    edition = edition_latest(frequency=frequency, zone=subscriber.timezone, now=now)
    since, until = edition_window(edition=edition, frequency=frequency)
    if papers_between(since=since, until=until).exists():
        return edition
    newest = Paper.objects.aggregate(featured=Max("featured_on"), announced=Max("announced_on"))
    days = [day for day in newest.values() if day]
    if not days:
        raise NoTestDigest("no papers are stored yet: ingest some first")
    return edition_after(max(days), frequency=frequency)


def digest_for_subscriber(*, subscriber: Subscriber, edition: date, browser_url: str) -> Digest:
    """The digest this subscriber's filters make of edition `edition` now, papers sent to
    them before included, without writing a row. Raises NoTestDigest when none matches."""
    same = Subscriber.objects.filter(pk=subscriber.pk)
    [batch] = edition_batches(edition=edition, subscribers=same,
                              frequencies=[subscriber.frequency], sent_too=True)
    chosen = items_with_learning(batch.matches, edition=edition)[subscriber.pk]
    if not chosen:
        since, until = edition_window(edition=edition, frequency=subscriber.frequency)
        count = papers_between(since=since, until=until).count()
        raise NoTestDigest(f"none of the {count} papers of the {edition:%a} {edition.day} "
                           f"{edition:%b %Y} edition matches their filters" if count else
                           f"no papers are stored for the {edition:%a} {edition.day} "
                           f"{edition:%b %Y} edition")
    papers = Paper.objects.in_bulk([key for key, _ in chosen])
    items = [(papers[key], json.loads(why)) for key, why in chosen]
    # Without the reader's own links: previews and tests go to operators.
    return digest_for_browser(renderer=Renderer(), subscriber=subscriber, edition=edition,
                              items=items, browser_url=browser_url,
                              frequency=subscriber.frequency, with_feedback=False)


def subject_marked_as_test(subscriber: Subscriber, digest: Digest) -> str:
    return f"[Test for {subscriber.email}] {digest.subject}"


def digest_build_test(*, subscriber: Subscriber, edition: date | None = None
                ) -> tuple[date, Digest]:
    """The reader's test digest, of their latest edition unless `edition` is given."""
    edition = edition or edition_latest_with_papers(subscriber=subscriber, now=timezone.now())
    return edition, digest_for_subscriber(
        subscriber=subscriber, edition=edition,
        browser_url=settings.SITE_URL + reverse("latest-papers"))


def digest_send_test(*, subscriber: Subscriber, to: str, edition: date | None = None) -> date:
    """Mail `to` (the operator asking, never the reader) the reader's test digest, marked as
    a test in its subject. Returns its edition; raises NoTestDigest when it has no papers."""
    edition, digest = digest_build_test(subscriber=subscriber, edition=edition)
    message_build(template="digest", to=to, subject=subject_marked_as_test(subscriber, digest),
                  text=digest.text, html=digest.html, tags=["digest-test"]).send()
    return edition
