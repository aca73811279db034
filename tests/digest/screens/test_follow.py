""""Follow this paper" as a reader meets it outside the mail: the signed link's page records
nothing when opened and follows on its POST; the manage page lists the papers followed, each
with an Unfollow button (POST, CSRF-protected); the choice to hear of updates; follows in the
reader's data and gone with it."""

import html as html_lib
import json
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from digest.learn.votes import feedback_token
from digest.models import Follow, FollowUpdate, Vote
from subscriptions import tokens
from subscriptions.models import Subscriber
from tests.delivery_fixtures import EDITION
from tests.digest.factories import (
    DeliveryFactory,
    FollowFactory,
    PaperEventFactory,
    PaperFactory,
)
from tests.subscriptions.factories import SubscriberFactory
from tests.web import signup_data, tamper

pytestmark = pytest.mark.django_db
SITE = "https://paperboy.example.org"


@pytest.fixture
def ada():
    return SubscriberFactory(email="ada@example.org", interests="reasoning")


@pytest.fixture
def paper():
    return PaperFactory(arxiv_id="2611.20001", title="Tiny Recursive Reasoners <v2>")


def follow_link(reader: Subscriber, arxiv_id: str) -> str:
    return reverse("feedback", args=[feedback_token(subscriber=reader, arxiv_id=arxiv_id,
                                                    action="follow")])


def manage_url(reader: Subscriber) -> str:
    return reverse("subscriptions:manage", args=[
        tokens.token_make(subscriber=reader, purpose=tokens.MANAGE)])


# --- the link -------------------------------------------------------------------------------


def test_opening_the_link_shows_the_paper_and_a_button_and_records_nothing(ada, paper):
    link = follow_link(ada, paper.arxiv_id)
    response = Client().get(link)
    page = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "<h1>Follow this paper</h1>" in page
    assert "Tiny Recursive Reasoners &lt;v2&gt;" in page  # escaped like everything else
    assert '<button type="submit">Yes, follow it</button>' in page
    assert Client().head(link).status_code == 200
    assert not Follow.objects.exists()


def test_its_post_follows_a_second_keeps_the_first_and_unfollow_undoes_it(ada, paper):
    link = follow_link(ada, paper.arxiv_id)
    mail_client = Client(enforce_csrf_checks=True)  # no session, no CSRF cookie
    page = mail_client.post(link).content.decode()
    assert "<h1>Following</h1>" in page and "Tiny Recursive Reasoners &lt;v2&gt;" in page
    assert "passing 10, 50, 100, 250" in page
    follow = Follow.objects.get()
    assert (follow.subscriber, follow.paper) == (ada, paper)
    mail_client.post(link)
    assert list(Follow.objects.all()) == [follow]  # the first follow (and its date) stands
    assert not Vote.objects.exists()  # a follow is not a vote

    page = mail_client.post(link, {"undo": "1"}).content.decode()
    assert "<h1>Unfollowed</h1>" in page
    assert not Follow.objects.exists()


def test_a_reader_who_turned_updates_off_is_told_so(paper):
    reader = SubscriberFactory(follow_updates=False)
    page = Client().post(follow_link(reader, paper.arxiv_id)).content.decode()
    assert "You turned updates on papers you follow off" in page
    assert Follow.objects.filter(subscriber=reader).exists()


def test_a_tampered_or_unknown_follow_link_is_refused(ada, paper):
    forged = reverse("feedback", args=[tamper(follow_link(ada, paper.arxiv_id).split("/")[2])])
    unknown = follow_link(ada, "2611.99999")
    for link in (forged, unknown):
        for response in (Client().get(link), Client().post(link)):
            assert response.status_code == 400
            assert "The link is not valid" in response.content.decode()
    assert not Follow.objects.exists()


def test_a_follow_link_is_its_own_link(ada, paper):
    """Signed per reader, paper and action: not the vote's link, not another reader's."""
    other = SubscriberFactory()
    links = {follow_link(ada, paper.arxiv_id), follow_link(other, paper.arxiv_id),
             reverse("feedback", args=[feedback_token(subscriber=ada, arxiv_id=paper.arxiv_id,
                                                      action="more")])}
    assert len(links) == 3


def test_a_cards_follow_link_in_the_mail_follows_that_paper_for_that_reader(readers, settings):
    """Every card of Ada's and Alan's digests has its own link; each follows its paper for
    its reader, from a mail client (no session, no CSRF cookie)."""
    settings.SITE_URL = SITE
    call_command("send_digests", "--date", EDITION.isoformat(), stdout=StringIO())
    mail_client = Client(enforce_csrf_checks=True)
    for reader in ("ada", "alan"):
        [message] = [m for m in mail.outbox if m.to == [f"{reader}@example.org"]]
        html = message.alternatives[0][0]
        links = [html_lib.unescape(link) for link in re.findall(
            r'<a href="([^"]+)"[^>]*>Follow this paper</a>', html)]
        assert len(links) == html.count('class="card"') > 0
        arxiv_id = re.search(r'href="https://arxiv\.org/abs/([^"]+)"', html).group(1)
        mail_client.post(links[0].removeprefix(SITE))
        follow = Follow.objects.get(subscriber=readers[reader])
        assert follow.paper.arxiv_id == arxiv_id  # the first card's paper


# --- the manage page ------------------------------------------------------------------------


def test_the_manage_page_lists_followed_papers_with_an_unfollow_button(client, ada, paper):
    FollowFactory(subscriber=ada, paper=paper)
    FollowFactory(subscriber=ada, paper=PaperFactory(title="Open Weights for Speech"))
    FollowFactory(paper=PaperFactory(title="Someone Else's Paper"))
    page = client.get(manage_url(ada)).content.decode()
    listed = page.split("<h2>Papers you follow</h2>")[1].split("</ul>")[0]
    assert "Tiny Recursive Reasoners &lt;v2&gt;" in listed and "Open Weights for Speech" in listed
    assert "Someone Else" not in page
    assert listed.count('value="unfollow"') == 2
    assert listed.count("csrfmiddlewaretoken") == 2


def test_unfollowing_from_the_manage_page(ada, paper):
    FollowFactory(subscriber=ada, paper=paper)
    kept = FollowFactory(subscriber=ada, paper=PaperFactory(title="Open Weights for Speech"))
    browser = Client(enforce_csrf_checks=True)
    # Without the page's CSRF token the post is refused.
    refused = browser.post(manage_url(ada), {"action": "unfollow", "paper": paper.arxiv_id})
    assert refused.status_code == 403 and Follow.objects.count() == 2

    browser.get(manage_url(ada))
    token = browser.cookies["csrftoken"].value
    response = browser.post(manage_url(ada), {"action": "unfollow", "paper": paper.arxiv_id,
                                              "csrfmiddlewaretoken": token}, follow=True)
    page = response.content.decode()
    assert "You no longer follow “Tiny Recursive Reasoners &lt;v2&gt;”." in page
    assert list(Follow.objects.all()) == [kept]
    # A paper they do not follow, or nonsense: nothing happens, no error.
    for value in ("2611.99999", "<script>", ""):
        answer = browser.post(manage_url(ada), {"action": "unfollow", "paper": value,
                                                "csrfmiddlewaretoken": token})
        assert answer.status_code == 302
    assert list(Follow.objects.all()) == [kept]


def test_the_manage_page_says_how_to_follow_when_nothing_is(client, ada):
    page = client.get(manage_url(ada)).content.decode()
    assert "<h2>Papers you follow</h2>" in page and "“Follow this paper” under a paper" in page


def updates_box(page: str) -> str:
    return re.search(r'<input type="checkbox" name="follow_updates"[^>]*>', page).group(0)


def test_updates_on_followed_papers_can_be_turned_off_and_on(client, ada):
    page = client.get(manage_url(ada)).content.decode()
    assert " checked" in updates_box(page) and "Updates on papers I follow" in page
    data = {**signup_data("ignored@example.org"), "action": "save"}
    client.post(manage_url(ada), data)
    ada.refresh_from_db()
    assert ada.follow_updates is False
    assert " checked" not in updates_box(client.get(manage_url(ada)).content.decode())
    client.post(manage_url(ada), {**data, "follow_updates": "on"})
    ada.refresh_from_db()
    assert ada.follow_updates is True


def test_signup_does_not_ask_and_new_readers_get_updates(client):
    page = client.get(reverse("subscriptions:signup")).content.decode()
    assert "follow_updates" not in page
    assert Subscriber._meta.get_field("follow_updates").default is True


# --- the reader's data ----------------------------------------------------------------------


def test_follows_and_updates_told_are_in_the_readers_data_and_go_with_it(client, ada, paper):
    FollowFactory(subscriber=ada, paper=paper)
    event = PaperEventFactory(paper=paper, value="https://github.com/example/trr")
    delivery = DeliveryFactory(subscriber=ada, status="sent")
    FollowUpdate.objects.create(subscriber=ada, event=event, delivery=delivery)
    other = FollowFactory(paper=paper)

    data = json.loads(client.get(reverse("subscriptions:my-data", args=[
        tokens.token_make(subscriber=ada, purpose=tokens.MANAGE)])).content)
    assert [(f["arxiv_id"], f["title"]) for f in data["follows"]] == [
        ("2611.20001", "Tiny Recursive Reasoners <v2>")]
    assert data["updates_told"] == [{
        "edition": timezone.localdate().isoformat(), "arxiv_id": "2611.20001",
        "update": "Code released", "value": "https://github.com/example/trr"}]

    client.post(manage_url(ada), {"action": "erase", "erase_confirmed": "yes"})
    assert list(Follow.objects.all()) == [other]
    assert not FollowUpdate.objects.exists()
