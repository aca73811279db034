"""The archive as a site: the days newest first by month, each day's papers from both sources
with the days before and after, a page per paper with its card, and the site's frame (title,
header, navigation, icon) on every page."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from digest.models import Paper
from tests.digest.factories import PaperFactory
from tests.web import page_of, read_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def days():
    """Papers over two months: Hugging Face on 30 Oct, 2 Nov and 4 Nov; arXiv on 2 Nov
    (one of them featured that same day) and 3 Nov; nothing on 1 Nov."""
    PaperFactory(arxiv_id="2610.00001", title="October Trending", featured_on=date(2026, 10, 30))
    PaperFactory(arxiv_id="2611.00001", title="Trending And Announced", upvotes=40,
                 featured_on=date(2026, 11, 2), announced_on=date(2026, 11, 2),
                 categories=["cs.LG"])
    PaperFactory(arxiv_id="2611.00002", title="Trending Only", upvotes=90,
                 featured_on=date(2026, 11, 2))
    PaperFactory(arxiv_id="2611.00003", title="Announced Only", announced_on=date(2026, 11, 2),
                 categories=["cs.CL", "cs.LG"], authors=["Ada Lovelace"])
    PaperFactory(arxiv_id="2611.00004", title="Third Of November",
                 announced_on=date(2026, 11, 3), categories=["cs.CV"])
    PaperFactory(arxiv_id="2611.00005", title="Fourth Of November",
                 featured_on=date(2026, 11, 4), announced_on=date(2026, 11, 3))


def test_the_archive_lists_the_days_newest_first_by_month_with_counts(client, days):
    page = page_of(client.get("/archive/"))
    assert page.title == "Archive · Paperboy"
    assert page.text.index("November 2026") < page.text.index("October 2026")
    assert ("Wed 4 Nov 1 paper 1 on Hugging Face Tue 3 Nov 2 papers 2 on arXiv "
            "Mon 2 Nov 3 papers 2 on Hugging Face · 1 on arXiv October 2026 "
            "Fri 30 Oct 1 paper 1 on Hugging Face") in page.text
    assert ("Mon 2 Nov", "/archive/2026-11-02/") in page.links
    assert "Sun 1 Nov" not in page.text


def test_a_day_lists_both_sources_and_links_the_days_before_and_after_with_papers(client, days):
    page = page_of(client.get("/archive/2026-11-02/"))
    assert page.title == "Papers of 2 November 2026 · Paperboy"
    assert "2 papers trending on Hugging Face · 1 other paper announced by arXiv" in page.text
    text = page.text
    assert (text.index("Trending Only") < text.index("Trending And Announced")
            < text.index("Announced by arXiv Announced Only"))  # by upvotes, then arXiv's
    assert ("← Fri 30 Oct 2026", "/archive/2026-10-30/") in page.links  # 1 Nov had none
    assert ("Tue 3 Nov 2026 →", "/archive/2026-11-03/") in page.links
    assert ("All days", "/archive/") in page.links

    first = page_of(client.get("/archive/2026-10-30/"))
    assert "No earlier day" in first.text
    assert ("Mon 2 Nov 2026 →", "/archive/2026-11-02/") in first.links


def test_a_day_with_only_arxiv_papers_is_listed_and_paged(client, days, monkeypatch):
    monkeypatch.setattr("digest.screens.papers_pages.ARXIV_PER_PAGE", 1)
    page = page_of(client.get("/archive/2026-11-03/"))
    assert "0 papers trending on Hugging Face · 2 other papers announced by arXiv" in page.text
    assert "Third Of November" in page.text and "Fourth Of November" not in page.text
    assert "Page 1 of 2" in page.text and ("Next 1 →", "?page=2") in page.links
    second = page_of(client.get("/archive/2026-11-03/?page=2"))
    assert "Fourth Of November" in second.text and "Third Of November" not in second.text
    assert "Page 2 of 2" in page_of(client.get("/archive/2026-11-03/?page=99")).text


def test_the_papers_page_is_the_latest_day_with_the_same_navigation(client, days):
    page = page_of(client.get("/papers/"))
    assert page.title == "Latest papers · 4 November 2026 · Paperboy"
    assert "Papers of Wednesday 4 November 2026" in page.text
    assert ("← Tue 3 Nov 2026", "/archive/2026-11-03/") in page.links
    assert "No later day" in page.text


def test_a_day_without_papers_says_so_and_a_bad_date_is_not_found(client, days):
    page = page_of(client.get("/archive/2026-11-01/"))
    assert "No papers were listed on that day." in page.text
    assert ("Mon 2 Nov 2026 →", "/archive/2026-11-02/") in page.links
    missing = client.get("/archive/not-a-date/")
    assert missing.status_code == 404
    assert read_page(missing.content.decode()).title == "Not found · Paperboy"


def test_no_papers_yet(client):
    assert "Nothing has been ingested" in page_of(client.get("/papers/")).text
    assert "No papers yet" in page_of(client.get("/archive/")).text


def test_a_paper_has_its_own_page_with_its_card(client):
    PaperFactory(arxiv_id="2611.14021", title="Sparse Autoencoders at Scale", upvotes=142,
                 num_comments=9, featured_on=date(2026, 11, 20),
                 announced_on=date(2026, 11, 19), categories=["cs.LG", "cs.CL"],
                 authors=["Mira Okafor", "Tomás Herrera"], organization="Example Lab",
                 abstract="We train sparse autoencoders.", github_repo="https://github.com/x/y",
                 github_stars=1204, project_page="https://example.org/sae")
    page = page_of(client.get("/papers/2611.14021/"))
    assert page.title == "Sparse Autoencoders at Scale · arXiv:2611.14021 · Paperboy"
    assert ("Sparse Autoencoders at Scale arXiv:2611.14021 cs.LG Trending on Hugging Face "
            "▲ 142 · 9 comments New on arXiv Mira Okafor, Tomás Herrera · Example Lab") in page.text
    assert "Abstract We train sparse autoencoders." in page.text
    for link in [("Abstract", "https://arxiv.org/abs/2611.14021"),
                 ("PDF", "https://arxiv.org/pdf/2611.14021"),
                 ("Hugging Face", "https://huggingface.co/papers/2611.14021"),
                 ("Code", "https://github.com/x/y"), ("Project page", "https://example.org/sae"),
                 ("Friday 20 November 2026", "/archive/2026-11-20/"),
                 ("Thursday 19 November 2026", "/archive/2026-11-19/")]:
        assert link in page.links
    assert "Code ★ 1,204" in page.text

    assert client.get("/papers/2611.14021v3/")["Location"] == "/papers/2611.14021/"
    for missing in ["/papers/2611.99999/", "/papers/not-an-id/", "/papers/2611.14021/extra/"]:
        response = client.get(missing)
        assert response.status_code == 404, missing
        assert 'class="site-header"' in response.content.decode()


def test_an_arxiv_paper_says_how_it_was_announced(client):
    PaperFactory(arxiv_id="2611.00010", announced_on=date(2026, 11, 3), categories=["stat.ML"],
                 announce_type="cross")
    PaperFactory(arxiv_id="2611.00011", announced_on=date(2026, 11, 3), categories=["cs.CL"],
                 arxiv_version=2, announce_type="replace")
    PaperFactory(arxiv_id="hep-th/9901001", announced_on=date(2026, 11, 3), categories=[],
                 announce_type="new")
    assert "arXiv:2611.00010 stat.ML Cross-listed on arXiv" in page_of(
        client.get("/papers/2611.00010/")).text
    assert "Replaced on arXiv v2" in page_of(client.get("/papers/2611.00011/")).text
    old = page_of(client.get("/papers/hep-th/9901001/"))
    assert "arXiv:hep-th/9901001 New on arXiv" in old.text
    assert ("PDF", "https://arxiv.org/pdf/hep-th/9901001") in old.links
    day = page_of(client.get("/archive/2026-11-03/"))
    assert "/papers/hep-th/9901001/" in [href for _, href in day.links]


def test_what_papers_bring_is_escaped_everywhere(client):
    PaperFactory(arxiv_id="2611.00020", title="<script>alert(1)</script>",
                 authors=["<b>Eve</b>"], organization="<i>Org</i>", abstract="<img src=x>",
                 featured_on=date(2026, 11, 4), ai_summary="<u>sum</u>")
    for path in ["/papers/", "/archive/2026-11-04/", "/papers/2611.00020/", "/archive/"]:
        html = client.get(path).content.decode()
        for raw in ["<script>alert", "<b>Eve", "<i>Org", "<img src=x", "<u>sum"]:
            assert raw not in html, (path, raw)
    html = client.get("/papers/2611.00020/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;Eve&lt;/b&gt;" in html


@pytest.mark.parametrize("path", ["/", "/papers/", "/archive/", "/archive/2026-11-20/",
                                  "/papers/2611.14021/", "/link/", "/help/filters/",
                                  "/check-your-inbox/"])
def test_every_page_has_a_title_the_sites_header_and_navigation_and_an_icon(client, path):
    call_command("demo", "--offline", stdout=StringIO())
    html = client.get(path).content.decode()
    page = read_page(html)
    assert page.title.endswith("Paperboy") or page.title.startswith("Paperboy"), page.title
    assert len(page.title) > len("Paperboy")
    for link in [("Subscribe", "/"), ("Latest papers", "/papers/"), ("Archive", "/archive/"),
                 ("Manage my subscription", "/link/")]:
        assert link in page.links, (path, link)
    assert '<link rel="icon" href="/favicon.ico"' in html
    assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in html


def test_the_icons_answer(client):
    ico = client.get("/favicon.ico")
    assert (ico.status_code, ico["Content-Type"]) == (200, "image/vnd.microsoft.icon")
    assert ico.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert b"\x89PNG" in ico.content
    svg = client.get("/favicon.svg")
    assert svg["Content-Type"] == "image/svg+xml" and svg.content.startswith(b"<svg")
    assert client.get("/apple-touch-icon.png").content[:4] == b"\x89PNG"
    assert "max-age" in ico["Cache-Control"]


def test_the_demo_papers_have_their_days(client):
    call_command("demo", "--offline", stdout=StringIO())
    Paper.objects.filter(arxiv_id="2611.14788").update(title="<script>alert(1)</script>")
    page = page_of(client.get("/papers/"))
    assert "Papers of Friday 20 November 2026" in page.text
    assert "Sparse Autoencoders Find Shared Features Across Language Model Scales" in page.text
    assert "<script>alert(1)</script>" in page.text  # shown as text, never run
