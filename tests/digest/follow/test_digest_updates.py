"""A digest as a following reader reads it: it opens with "Updates on papers you follow" (HTML
and text part), each paper once with what changed on it; a digest of updates alone is short
and says so; the browser view shows the same; nothing is told twice."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from digest.deliver.render import view_token
from digest.models import Delivery
from tests.digest.follow.conftest import EDITION, ingest, send
from tests.mails import visible

pytestmark = pytest.mark.django_db
HEADING = "Updates on papers you follow"
CHANGES = ("Tiny Recursive Reasoners Code released: github.com/example/trr · Version 2 on "
           "arXiv · Passed 100 upvotes · Project page online")


def digest_to(address: str):
    [message] = [m for m in mail.outbox if m.to == [address]]
    return message


def test_a_digest_of_updates_alone(readers):
    send(EDITION)
    message = digest_to("ada@example.org")
    html = visible(message.alternatives[0][0])
    assert message.subject == "Updates on papers you follow · Thu 19 Nov"
    assert "No new papers for you today, but papers you follow changed." in html
    assert f"{HEADING} {CHANGES}" in html
    assert html.count("Tiny Recursive Reasoners") == 1  # the paper once, its changes beside
    raw = message.alternatives[0][0]
    assert raw.count('class="card') == raw.count('class="card updates"') == 1  # no paper card
    assert "More like this" not in html
    assert f"{HEADING}\n============================\n\nTiny Recursive Reasoners " \
           "(arXiv:2611.20001)\n   · Code released: https://github.com/example/trr\n" \
           "   · Version 2 on arXiv: https://arxiv.org/abs/2611.20001v2\n" \
           "   · Passed 100 upvotes\n   · Project page: https://example.org/trr\n" in message.body
    assert {m.to[0] for m in mail.outbox} == {"ada@example.org", "dee@example.org"}


def test_a_digest_with_papers_opens_with_the_updates(readers):
    send(EDITION)
    message = digest_to("dee@example.org")
    html = visible(message.alternatives[0][0])
    assert message.subject.startswith("1 paper · Speech")
    assert html.index(HEADING) < html.index(CHANGES) < html.index(
        "Open Weights for Speech Recognition")
    assert message.body.index(HEADING) < message.body.index("1. Open Weights for Speech")
    assert "1 new paper matching what you follow." in html


def test_the_browser_view_shows_the_same_updates(readers, client):
    send(EDITION)
    delivery = Delivery.objects.get(subscriber=readers["ada"], edition=EDITION)
    view = visible(client.get(reverse("digest-view", args=[view_token(delivery)]))
                   .content.decode())
    assert f"{HEADING} {CHANGES}" in view


def test_the_next_digest_does_not_repeat_them(readers):
    send(EDITION)
    ingest("hf_day3.json")
    mail.outbox.clear()
    send(EDITION + datetime.timedelta(days=1))
    html = visible(digest_to("ada@example.org").alternatives[0][0])
    assert f"{HEADING} Tiny Recursive Reasoners Passed 250 upvotes" in html
    assert "Code released" not in html


def test_a_paper_title_in_an_update_is_escaped(readers):
    from digest.models import Paper

    Paper.objects.filter(arxiv_id="2611.20001").update(title="Tiny <b>Recursive</b> & Co")
    send(EDITION)
    html = digest_to("ada@example.org").alternatives[0][0]
    assert "Tiny &lt;b&gt;Recursive&lt;/b&gt; &amp; Co" in html and "<b>Recursive" not in html
