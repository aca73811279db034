"""Digests end to end: rows, rendering, headers, sending through Anymail, exactly once."""

import email
import re
from email import policy
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape

from digest.deliver.render import MAX_HTML_BYTES, Renderer, view_token
from digest.editions.build import deliveries_build
from digest.editions.due import edition_window, subscribers_for_edition
from digest.match.inputs import papers_between
from digest.models import Delivery, DeliveryItem
from subscriptions.models import Topic
from tests.delivery_fixtures import EDITION, make_reader
from tests.mails import visible
from tests.web import tamper

pytestmark = pytest.mark.django_db


def send(*args) -> str:
    out = StringIO()
    call_command("send_digests", "--date", EDITION.isoformat(), *args, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def parsed(message):
    """The message as a mail client reads it."""
    return email.message_from_bytes(message.message().as_bytes(), policy=policy.default)


def test_each_reader_gets_one_digest_and_no_match_means_no_mail(readers, settings):
    settings.SITE_URL = "https://paperboy.example.org"
    summary = send()
    assert summary.startswith("Editions 2026-11-21: 3 sent, 1 skipped (no matches)")
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ada@example.org", "alan@example.org", "grace@example.org"]
    zed = Delivery.objects.get(subscriber=readers["zed"])
    assert (zed.status, zed.reason) == ("skipped", "no matches")
    assert Delivery.objects.filter(status="sent").count() == 3


def test_the_digest_mail_has_everything_a_reader_needs(readers, settings):
    settings.SITE_URL = "https://paperboy.example.org"
    send()
    [message] = [m for m in mail.outbox if m.to == ["ada@example.org"]]
    delivery = Delivery.objects.get(subscriber=readers["ada"])
    received = parsed(message)
    # How many papers, under which headings, for which day.
    assert received["Subject"].strip() == (
        "4 papers · Sparse autoencoder, “language model” · Sat 21 Nov")
    unsubscribe = re.fullmatch(r"<(https://paperboy\.example\.org/u/[^>]+/)>",
                               str(received["List-Unsubscribe"]).strip())
    assert unsubscribe, received["List-Unsubscribe"]
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Random keys in public places, never a database id or a counter.
    assert received["Message-ID"] == f"<digest.{delivery.key.hex}@localhost>"
    assert message.tags == ["digest"]
    assert message.metadata == {"delivery": delivery.key.hex, "edition": "2026-11-21",
                                "frequency": "daily"}

    html = received.get_body(("html",)).get_content()
    text = received.get_body(("plain",)).get_content()
    shown = visible(html)
    assert len(html.encode()) < MAX_HTML_BYTES
    assert 'href="https://huggingface.co/papers/2611.14021" style=' in html
    assert "Your daily papers · Saturday 21 November 2026" in shown
    # The card: where it came from, its numbers, who wrote it, what it says, where to read it.
    assert ("Trending on Hugging Face ▲ 142 · 9 comments · arXiv:2611.14021 "
            "Sparse Autoencoders Find Shared Features Across Language Model Scales "
            "Mira Okafor, Tomás Herrera, Lena Vogel · Example Interpretability Lab "
            "SAEs trained across model scales share most interpretable features. "
            "Abstract · PDF · Hugging Face · Code ★ 318") in shown
    assert re.search(r'<mark style="[^"]+">Sparse Autoencoders</mark>', html)  # in the title
    for link in ["https://arxiv.org/abs/2611.14021", "https://arxiv.org/pdf/2611.14021",
                 "https://github.com/example-lab/sae-atlas"]:
        assert f'href="{link}"' in html
    # Under its best heading, saying why in the reader's words, never in the filter's.
    assert "Sparse autoencoder · 1 paper" in shown and "“language model” · 3 papers" in shown
    assert "Why: sparse autoencoder · Also matches “language model”" in shown
    assert "-robotics" not in shown and "&quot;language model&quot;" not in html
    assert unsubscribe.group(1) in html and "/manage/" in html and "/d/" in html
    assert "style=" in html and "@media (prefers-color-scheme: dark)" in html
    assert ("1. Sparse Autoencoders Find Shared Features Across Language Model Scales\n"
            "   arXiv:2611.14021 · Trending on Hugging Face · ▲ 142 · 9 comments\n"
            "   Mira Okafor, Tomás Herrera, Lena Vogel · Example Interpretability Lab\n") in text
    assert "   Why: sparse autoencoder; also matches “language model”" in text
    assert f"Unsubscribe: {unsubscribe.group(1)}" in text
    items = DeliveryItem.objects.filter(delivery=delivery).order_by("rank")
    assert all(f"Abstract: https://arxiv.org/abs/{item.paper.arxiv_id}\n" in text
               for item in items)
    assert [i.paper.arxiv_id for i in items][:2] == ["2611.14021", "2611.12988"]
    assert items[0].matched[0] == {"line": "sparse autoencoder",
                                   "words": ["sparse", "autoencoders"]}


def test_long_author_lists_are_shortened_and_no_filters_means_top_papers(readers):
    send()
    [message] = [m for m in mail.outbox if m.to == ["alan@example.org"]]
    html = message.alternatives[0][0]
    assert "Ana Silva, Kenji Watanabe, Priya Raman et al." in html
    assert "The 3 most upvoted papers of the day." in html
    assert html.count('class="card"') == 3


def test_running_a_day_again_sends_nothing_twice(readers):
    send()
    first = len(mail.outbox)
    assert send().startswith("Editions 2026-11-21: 0 sent")
    assert len(mail.outbox) == first == 3
    assert Delivery.objects.count() == 4


def test_a_reader_who_unsubscribes_after_the_rows_are_built_gets_nothing(readers):
    deliveries_build(edition=EDITION, subscribers=subscribers_for_edition(edition=EDITION))
    readers["ada"].status = "unsubscribed"
    readers["ada"].save()
    send()
    assert "ada@example.org" not in [m.to[0] for m in mail.outbox]
    ada = Delivery.objects.get(subscriber=readers["ada"])
    assert (ada.status, ada.reason) == ("skipped", "subscriber is unsubscribed")


def test_a_paper_sent_once_is_not_sent_again_in_a_later_edition(readers):
    send()
    first = {m.to[0]: m.alternatives[0][0] for m in mail.outbox}
    mail.outbox.clear()
    call_command("send_digests", "--date", "2026-11-22", stdout=StringIO())
    # The 20 Nov papers are still in the window: Ada has had all hers; Alan (no filters)
    # gets the next three most upvoted, none of the three he had.
    assert [m.to[0] for m in mail.outbox] == ["alan@example.org"]
    titles = re.compile(r'class="title"[^>]*><a [^>]+>([^<]+)</a>')
    assert not set(titles.findall(first["alan@example.org"])) & set(
        titles.findall(mail.outbox[0].alternatives[0][0]))
    assert Delivery.objects.get(subscriber=readers["ada"], edition="2026-11-22").reason == (
        "no matches")


def test_a_paper_changed_between_two_builds_is_matched_as_it_is_now(papers):
    """Each worker process keeps the edition's index between build tasks; a changed paper
    is seen all the same."""
    reader = make_reader("ada@example.org", interests="quokka")
    assert "0 sent, 1 skipped (no matches)" in send()
    since, until = edition_window(edition=EDITION, frequency="daily")
    paper = papers_between(since=since, until=until).order_by("pk").first()
    paper.title = "Quokka-scale sparse models"
    paper.save()
    Delivery.objects.all().delete()
    send()
    delivery = Delivery.objects.get(subscriber=reader)
    assert delivery.status == "sent" and list(delivery.papers.all()) == [paper]
    assert "Quokka-scale sparse models" in visible(mail.outbox[0].alternatives[0][0])


def test_dry_run_prints_who_would_get_what_and_writes_nothing(readers):
    out = StringIO()
    call_command("send_digests", "--date", EDITION.isoformat(), "--dry-run", stdout=out)
    lines = out.getvalue().splitlines()
    assert "2026-11-21 ada@example.org: 4 papers" in lines
    assert "2026-11-21 zed@example.org: no matches, skipped" in lines
    assert lines[-1] == "Dry run: 3 digests would be sent, 1 skipped; nothing written."
    assert Delivery.objects.count() == 0 and mail.outbox == []


def test_one_address_only(readers):
    assert send("--email", "Grace@example.org").startswith("Editions 2026-11-21: 1 sent")
    assert [m.to for m in mail.outbox] == [["grace@example.org"]]


def test_preview_digest_writes_the_html_and_prints_its_path(readers, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("preview_digest", "ada@example.org", "--date", "2026-11-21", stdout=out)
    path = out.getvalue().strip().rsplit(": ", 1)[1]
    assert path.endswith(".html")
    html = open(path).read()
    assert "Sparse Autoencoders Find Shared Features" in visible(html)
    assert Delivery.objects.count() == 0 and mail.outbox == []


def test_view_in_browser_shows_the_digest_and_refuses_a_forged_link(readers, client):
    send()
    delivery = Delivery.objects.get(subscriber=readers["ada"])
    token = view_token(delivery)
    assert token.split(":")[0] == delivery.key.hex  # a random key, not the database id
    page = client.get(reverse("digest-view", args=[token]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sparse Autoencoders Find Shared Features" in visible(html)
    # A page of the site: the mail's subject as its title, the icon, the site's links.
    [message] = [m for m in mail.outbox if m.to == ["ada@example.org"]]
    assert f"<title>{escape(message.subject)} · Paperboy</title>" in html
    site = settings.SITE_URL
    assert f'rel="icon" href="{site}/favicon.svg"' in html
    assert f'href="{site}/archive/">Archive</a>' in html
    assert client.get("/favicon.svg").status_code == 200
    forged = client.get(reverse("digest-view", args=[tamper(token)]))
    assert forged.status_code == 400


def test_a_forwarded_digest_opens_no_preferences_and_mints_no_link(readers, client):
    """Anyone holding a forwarded digest can open its browser view: it must carry none of
    the reader's own links, only a way to have them mailed to the reader."""
    send()
    mailed = len(mail.outbox)
    delivery = Delivery.objects.get(subscriber=readers["ada"])
    page = client.get(reverse("digest-view", args=[view_token(delivery)])).content.decode()
    assert "/manage/" not in page and "/u/" not in page and "/confirm/" not in page
    assert re.search(r'<a href="http://localhost:8000/link/"[^>]*>mail me a link</a>', page)
    assert len(mail.outbox) == mailed  # and a visit mails nothing


def test_cards_are_rendered_once_per_run_and_the_html_stays_under_100kb(readers):
    renderer = Renderer()
    from digest.models import Paper

    paper = Paper.objects.get(arxiv_id="2611.14021")
    paper.ai_summary = "word " * 800  # a card far larger than real ones
    items = [(paper, [{"line": "x", "words": ["word"]}])] * 50
    links = {"manage_url": "https://m", "unsubscribe_url": "https://u",
             "browser_url": "https://b", "feed_url": "https://f"}
    digest = renderer.digest(edition=EDITION, email="a@example.org", items=items, links=links)
    assert renderer.renders == 1
    assert len(digest.html.encode()) < MAX_HTML_BYTES
    assert 0 < digest.papers < 50
    assert f"{50 - digest.papers} more papers matched" in digest.html
    assert f"{50 - digest.papers} more papers matched: https://b" in digest.text


def test_what_readers_typed_is_escaped_in_the_digest(papers):
    make_reader("x@example.org", interests='title:sparse OR "<script>alert(1)</script>"\n'
                                           'speech -"<b>robotics</b>"')
    send()
    html = mail.outbox[0].alternatives[0][0]
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Why: sparse in the title or “<script>alert(1)</script>”" in visible(html)
    assert "robotics" not in visible(html)  # an exclusion never explains why a paper came


def test_run_daily_ingests_then_sends(monkeypatch, readers):
    from tests.sources import FakeInternet, atom_file, json_file

    internet = FakeInternet()
    internet.queue("huggingface.co", json_file("hf_day_page0.json"),
                   json_file("hf_day_page1.json"))
    internet.queue("rss.arxiv.org", atom_file("arxiv_cs_lg_cl.xml"))
    monkeypatch.setattr("digest.ingest.today.build_client",
                        lambda **options: internet.client())
    out = StringIO()
    call_command("run_daily", "--date", EDITION.isoformat(), stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(" 20")[0] for line in lines[:2]] == [
        "Ingest Hugging Face Daily Papers"] * 2
    assert lines[2].startswith("Ingest arXiv announcements ")
    assert all(" created, " in line for line in lines[:3])
    assert lines[-1].startswith("Editions 2026-11-21: 3 sent")


def test_run_daily_sends_nothing_when_every_source_is_down_unless_told_to_skip_ingest(
        monkeypatch, readers):
    from tests.sources import FakeInternet

    unreachable = FakeInternet()  # nothing queued: every request fails to connect
    monkeypatch.setattr("digest.ingest.today.build_client",
                        lambda **options: unreachable.client())
    monkeypatch.setattr("digest.management.commands.run_daily.sleep", lambda seconds: None)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="every ingest run failed, so no digest was sent"):
        call_command("run_daily", "--date", EDITION.isoformat(), stdout=out, stderr=err)
    lines = err.getvalue().splitlines()
    assert len(lines) == 3
    assert all(": failed: " in line and "ConnectError" in line for line in lines)
    assert out.getvalue() == "" and not Delivery.objects.exists()
    call_command("run_daily", "--date", EDITION.isoformat(), "--skip-ingest", stdout=out)
    assert out.getvalue().startswith("Editions 2026-11-21: 3 sent")


def test_the_subject_is_plain_text_not_html(readers):
    Topic.objects.filter(slug="interpretability").update(name="Minds & <Machines>")
    make_reader("mind@example.org", topics=["interpretability"])
    send()
    [message] = [m for m in mail.outbox if m.to == ["mind@example.org"]]
    assert "Minds & <Machines>" in message.subject
    assert "&amp;" not in message.subject and "&lt;" not in message.subject
