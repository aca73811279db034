"""A reader's digest built without a delivery row: what an operator previews or sends
themselves to check a reader's filters. Nothing is recorded, nothing marked as sent."""

import json
from datetime import date

from django.conf import settings
from django.urls import reverse

from digest.deliver.render import Digest, Renderer, digest_for_browser
from digest.editions.build import edition_batches
from digest.learn.digests import items_with_learning
from digest.models import Paper
from subscriptions.emails import message_build
from subscriptions.models import Subscriber


def digest_for_subscriber(*, subscriber: Subscriber, edition: date, browser_url: str
                          ) -> Digest | None:
    """The digest this subscriber would get in edition `edition`, without writing a row;
    None when there is nothing new for them."""
    same = Subscriber.objects.filter(pk=subscriber.pk)
    [batch] = edition_batches(edition=edition, subscribers=same,
                              frequencies=[subscriber.frequency])
    chosen = items_with_learning(batch.matches, edition=edition)[subscriber.pk]
    if not chosen:
        return None
    papers = Paper.objects.in_bulk([key for key, _ in chosen])
    items = [(papers[key], json.loads(why)) for key, why in chosen]
    # Without the reader's own links: previews and tests go to operators.
    return digest_for_browser(renderer=Renderer(), subscriber=subscriber, edition=edition,
                              items=items, browser_url=browser_url, with_feedback=False)


def digest_send_test(*, subscriber: Subscriber, edition: date, to: str) -> bool:
    """Mail `to` (the operator asking, never the reader) what this subscriber's next digest
    would hold, marked as a test, recording nothing: how an operator checks a reader's
    filters. False: nothing to send."""
    browser_url = settings.SITE_URL + reverse("latest-papers")
    digest = digest_for_subscriber(subscriber=subscriber, edition=edition,
                                   browser_url=browser_url)
    if digest is None:
        return False
    message_build(template="digest", to=to,
                  subject=f"[Test for {subscriber.email}] {digest.subject}",
                  text=digest.text, html=digest.html, tags=["digest-test"]).send()
    return True
