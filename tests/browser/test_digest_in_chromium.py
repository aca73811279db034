"""A rendered digest as mail clients show it: Chromium at phone and desktop width, light and
dark, with screenshots in var/screenshots/; and at a mail client's 600 px, light and dark,
the screenshots the README shows (docs/screenshots/)."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from digest.deliver.batch import deliveries_send
from digest.editions.build import deliveries_build
from digest.editions.due import subscribers_for_edition
from digest.models import Delivery, DeliveryItem, Paper
from tests.delivery_fixtures import EDITION, make_reader
from tests.sources import DATA

pytestmark = [pytest.mark.services, pytest.mark.django_db]
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_a_digest_reads_well_on_a_phone_and_a_desktop(readers, settings, tmp_path, page, shoot):
    settings.EMAIL_BACKEND = "digest.deliver.outbox.OutboxEmailBackend"
    settings.OUTBOX_DIR = tmp_path
    call_command("send_digests", "--date", EDITION.isoformat(), stdout=StringIO())
    [html] = [p for p in Path(tmp_path).glob("*.html") if "ada@example.org" in p.name]
    page.goto(html.as_uri())
    shoot("digest")
    title = page.get_by_role("link", name="Sparse Autoencoders Find Shared Features Across "
                                           "Language Model Scales")
    assert title.is_visible()
    assert page.locator(".title mark", has_text="Sparse Autoencoders").first.is_visible()
    # Nothing wider than a phone: no sideways scrolling at 375 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.emulate_media(color_scheme="dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 24, 28)"  # the dark palette, not white


@pytest.fixture
def full_digest(papers, settings, tmp_path):
    """The digest of a reader who follows two topics, a line and an author, with papers
    from Hugging Face and arXiv (new and cross-listed) and one recommendation: every part a
    digest can have, as an HTML file."""
    settings.EMAIL_BACKEND = "digest.deliver.outbox.OutboxEmailBackend"
    settings.OUTBOX_DIR = tmp_path
    call_command("ingest", "--file", str(DATA / "arxiv_cs_lg_cl.xml"), stdout=StringIO())
    reader = make_reader("mira@example.org", topics=["interpretability", "retrieval"],
                         interests='title:"world model"', authors="Grace Liu")
    deliveries_build(edition=EDITION, subscribers=subscribers_for_edition(edition=EDITION))
    delivery = Delivery.objects.get(subscriber=reader)
    liked = Paper.objects.get(arxiv_id="2611.14021")
    DeliveryItem.objects.create(
        delivery=delivery, paper=Paper.objects.get(arxiv_id="2611.14415"),
        rank=delivery.items.count() + 1,
        matched=[{"recommended": True,
                  "because": {"arxiv_id": liked.arxiv_id, "title": liked.title}}])
    deliveries_send([delivery.pk], on_transient=lambda *args: None)
    [html] = Path(tmp_path).glob("*mira@example.org*.html")
    return html


def test_a_digest_at_600_px_in_light_and_dark_for_the_readme(full_digest, page):
    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 600, "height": 900})
    page.goto(full_digest.as_uri())
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.screenshot(path=DOCS_SHOTS / f"digest-{scheme}.png", full_page=True)
    # What the screenshots show: headings with counts, each source's badge, the actions.
    headings = page.locator("h2.section").all_text_contents()
    assert [" ".join(h.split()) for h in headings][-1] == "Recommended for you · 1 paper"
    assert any(h.startswith("Interpretability") for h in headings)
    for badge in ("Trending on Hugging Face", "New on arXiv", "Cross-listed on arXiv"):
        assert page.locator(".badge", has_text=badge).first.is_visible(), badge
    assert page.get_by_role("link", name="More like this").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 600
