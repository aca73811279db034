"""One-click feedback as a reader meets it: "More like this" / "Less like this" on every
paper of a digest, a page that records nothing when opened (mail scanners open every link), a
vote recorded by its POST, replaced by another click, undone by Undo."""

import datetime
import html as html_lib
import re
from io import StringIO
from pathlib import Path

import httpx
import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from digest.deliver.render import view_token
from digest.deliver.samples import digest_send_test
from digest.learn.votes import feedback_token
from digest.models import Delivery, DeliveryItem, Paper, ReaderProfile, Vote
from subscriptions.models import HistoryEntry, Subscriber
from subscriptions.services import Preferences
from tests.delivery_fixtures import EDITION, make_reader
from tests.mails import visible
from tests.web import tamper

pytestmark = pytest.mark.django_db
SITE = "https://paperboy.example.org"
DESCRIPTION = ("Interpretability: what sparse autoencoders, probes and circuits reveal about "
               "the features inside neural networks.")


def send(edition: datetime.date = EDITION) -> None:
    call_command("send_digests", "--date", edition.isoformat(), stdout=StringIO())


def digest_html(address: str) -> str:
    [message] = [m for m in mail.outbox if m.to == [address]]
    [(html, _)] = message.alternatives
    return html


def cards(html: str) -> dict[str, dict[str, str]]:
    """Each paper card of a digest by its paper's arXiv id: its title and the links of its
    "More like this" / "Less like this", by their text."""
    found = {}
    for card in html.split('<div class="card"')[1:]:
        card = card.split("</div>")[0]
        arxiv_id = re.search(r'href="https://arxiv\.org/abs/([^"]+)"', card).group(1)
        title = re.search(r'class="title"[^>]*><a [^>]+>(.*?)</a>', card).group(1)
        links = {text: html_lib.unescape(href) for href, text in re.findall(
            r'<a href="([^"]+)"[^>]*>((?:More|Less) like this)</a>', card)}
        found[arxiv_id] = {"title": visible(title), **links}
    return found


def path_of(link: str) -> str:
    return link.removeprefix(SITE)


# --- the links ------------------------------------------------------------------------------


def test_every_card_of_a_digest_has_both_links_signed_for_its_reader_and_paper(
        readers, settings):
    settings.SITE_URL = SITE
    send()
    sent = {reader: cards(digest_html(f"{reader}@example.org"))
            for reader in ["ada", "alan", "grace"]}
    for reader, papers in sent.items():
        assert len(papers) == digest_html(f"{reader}@example.org").count('class="card"') > 0
        links = [card[text] for card in papers.values()
                 for text in ("More like this", "Less like this")]
        assert all(re.fullmatch(rf"{SITE}/v/[^/]+/", link) for link in links), links
        assert len(set(links)) == len(links)  # one per paper and action
    # The paper both Ada and Alan got: each has links of their own.
    shared = "2611.14021"
    assert sent["ada"][shared]["More like this"] != sent["alan"][shared]["More like this"]

    client = Client()
    for reader in ["ada", "alan"]:
        page = client.get(path_of(sent[reader][shared]["More like this"])).content.decode()
        assert sent[reader][shared]["title"] in page
        client.post(path_of(sent[reader][shared]["More like this"]))
    votes = Vote.objects.filter(paper__arxiv_id=shared)
    assert sorted(votes.values_list("subscriber__email", flat=True)) == [
        "ada@example.org", "alan@example.org"]


def test_a_tampered_link_is_refused_and_records_nothing(readers, settings):
    settings.SITE_URL = SITE
    send()
    link = path_of(next(iter(cards(digest_html("ada@example.org")).values()))["More like this"])
    forged = reverse("feedback", args=[tamper(link.split("/")[2])])
    client = Client()
    for response in [client.get(forged), client.post(forged)]:
        assert response.status_code == 400
        assert "The link is not valid" in response.content.decode()
    assert not Vote.objects.exists()


def test_the_browser_view_has_the_same_links_as_the_mail(readers, settings, client):
    settings.SITE_URL = SITE
    send()
    mailed = cards(digest_html("ada@example.org"))
    delivery = Delivery.objects.get(subscriber=readers["ada"])
    view = client.get(reverse("digest-view", args=[view_token(delivery)])).content.decode()
    assert cards(view) == mailed


def test_an_operators_test_digest_and_preview_have_no_feedback_links(readers, settings,
                                                                        tmp_path):
    settings.SITE_URL = SITE
    assert digest_send_test(subscriber=readers["ada"], edition=EDITION, to="ops@example.org")
    [message] = mail.outbox
    html = message.alternatives[0][0]
    assert "Sparse Autoencoders Find Shared Features" in visible(html)
    assert "like this" not in html and "/v/" not in html and "/v/" not in message.body
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("preview_digest", "ada@example.org", "--date", EDITION.isoformat(), stdout=out)
    preview = Path(out.getvalue().strip().rsplit(": ", 1)[1]).read_text()
    assert "Sparse Autoencoders Find Shared Features" in visible(preview)
    assert "like this" not in preview and "/v/" not in preview


# --- what opening every link of a digest changes: nothing -----------------------------------


def everything_held() -> dict:
    return {"readers": list(Subscriber.objects.order_by("pk").values()),
            "preferences": [Preferences.of(reader).to_json()
                            for reader in Subscriber.objects.order_by("pk")],
            "history": list(HistoryEntry.objects.values()),
            "deliveries": list(Delivery.objects.order_by("pk").values()),
            "items": list(DeliveryItem.objects.order_by("pk").values()),
            "profiles": list(ReaderProfile.objects.order_by("pk").values("pk", "inputs_hash")),
            "votes": list(Vote.objects.values())}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_mail_scanner_opening_every_link_of_a_digest_changes_nothing(readers, live_server,
                                                                       settings):
    settings.SITE_URL = live_server.url
    make_reader("lin@example.org", description=DESCRIPTION)  # a reader with recommendations
    send()
    before = everything_held()
    links = sorted({html_lib.unescape(href) for message in mail.outbox
                    for href in re.findall(r'href="([^"]+)"', message.alternatives[0][0])
                    if href.startswith(live_server.url)})
    # The site's home (the brand), and the reader's pages: manage, unsubscribe, browser view,
    # feedback, feed.
    kinds = {link.removeprefix(live_server.url).strip("/").split("/")[0] for link in links}
    assert kinds == {"", "manage", "u", "d", "v", "feeds"}, links
    with httpx.Client(follow_redirects=True, timeout=30) as scanner:
        for link in links:
            assert scanner.get(link).status_code == 200, link
            scanner.head(link)
    assert everything_held() == before
    assert not Vote.objects.exists() and not HistoryEntry.objects.exists()
    assert set(Subscriber.objects.values_list("status", flat=True)) == {"active"}


# --- the page and the vote ------------------------------------------------------------------


@pytest.fixture
def todays_digest(papers, settings):
    """The sample's papers as yesterday's, and a digest of today sent to Ada, who follows
    sparse autoencoders and language models in lines and in her own words: her cards."""
    settings.SITE_URL = SITE
    Paper.objects.update(featured_on=timezone.localdate() - datetime.timedelta(days=1))
    make_reader("ada@example.org", interests='sparse autoencoder\n"language model" -robotics',
                description=DESCRIPTION)
    send(timezone.localdate())
    return cards(digest_html("ada@example.org"))


def test_opening_a_link_shows_the_paper_and_a_button_and_records_nothing(todays_digest):
    card = todays_digest["2611.14021"]
    response = Client().get(path_of(card["More like this"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "More papers like this one" in page and card["title"] in page
    assert '<button type="submit">Yes, more like this</button>' in page
    assert "no-store" in response["Cache-Control"]
    assert not Vote.objects.exists()


def top_titles(page: str) -> list[str]:
    """The titles under "What Paperboy now ranks highest for you"."""
    _, heading, rest = page.partition("What Paperboy now ranks highest for you</h2>")
    assert heading, "no ranking on the page"
    listed = rest.split("</ol>")[0]
    return [html_lib.unescape(title) for title in re.findall(r"<li><a [^>]+>([^<]+)</a>", listed)]


def test_a_click_records_the_vote_a_second_replaces_it_and_undo_deletes_it(todays_digest):
    card = todays_digest["2611.14021"]
    mail_client = Client(enforce_csrf_checks=True)  # no session, no CSRF cookie
    more, less = path_of(card["More like this"]), path_of(card["Less like this"])

    noted = mail_client.post(more)
    page = noted.content.decode()
    assert noted.status_code == 200 and "no-store" in noted["Cache-Control"]
    assert "Noted: more like this" in page and card["title"] in page
    assert '<button class="secondary" type="submit">Undo</button>' in page
    vote = Vote.objects.get()
    assert (vote.subscriber.email, vote.paper.arxiv_id, vote.value, vote.recommended) == (
        "ada@example.org", "2611.14021", Vote.Value.MORE, False)  # her lines matched it
    ranked = top_titles(page)
    week = set(Paper.objects.values_list("title", flat=True))
    assert 0 < len(ranked) <= 5 and set(ranked) <= week
    assert card["title"] not in ranked  # what she voted on is not offered again

    page = mail_client.post(less).content.decode()
    assert "Noted: less like this" in page
    vote = Vote.objects.get()
    assert (vote.paper.arxiv_id, vote.value) == ("2611.14021", Vote.Value.LESS)

    undone = mail_client.post(less, {"undo": "1"})
    assert undone.status_code == 200 and "no-store" in undone["Cache-Control"]
    assert "Undone" in undone.content.decode() and card["title"] in undone.content.decode()
    assert not Vote.objects.exists()


def test_a_vote_on_a_recommended_paper_is_marked_as_one(papers, settings):
    """Lin gave only her own words: every paper of her digest was a recommendation."""
    settings.SITE_URL = SITE
    make_reader("lin@example.org", description=DESCRIPTION)
    send()
    [(arxiv_id, card), *_] = cards(digest_html("lin@example.org")).items()
    Client(enforce_csrf_checks=True).post(path_of(card["Less like this"]))
    vote = Vote.objects.get()
    assert (vote.paper.arxiv_id, vote.value, vote.recommended) == (
        arxiv_id, Vote.Value.LESS, True)


def test_the_ranking_on_the_page_follows_what_the_reader_told_us(todays_digest):
    """Ada follows interpretability, Sam speech; both say "Less like this" to the same video
    paper, and each sees the papers of their own field on top."""
    make_reader("sam@example.org", interests="speech",
                description="Speech recognition, spoken language models and audio.")
    video = Paper.objects.get(title__startswith="Flow Matching for Video Generation")
    pages = {}
    for reader in Subscriber.objects.filter(email__in=["ada@example.org", "sam@example.org"]):
        link = reverse("feedback", args=[feedback_token(
            subscriber=reader, arxiv_id=video.arxiv_id, action="less")])
        pages[reader.email] = top_titles(Client().post(link).content.decode())
    assert pages["ada@example.org"][0].startswith("Sparse Autoencoders Find Shared Features")
    assert pages["sam@example.org"][0].startswith("Speech Language Models That Listen")
    assert video.title not in pages["ada@example.org"] + pages["sam@example.org"]


def test_a_link_signed_the_earlier_way_still_opens_its_page(readers, papers):
    """Digests mailed before signing changed (tokens compressed) keep working: links never
    expire."""
    from django.core import signing

    from digest.learn.votes import SALT

    token = signing.Signer(salt=SALT).sign_object(
        [readers["ada"].token, "2611.14021", "less"], compress=True)
    response = Client().get(reverse("feedback", args=[token]))
    assert response.status_code == 200
    assert "Fewer papers like this one" in response.content.decode()
    assert not Vote.objects.exists()
