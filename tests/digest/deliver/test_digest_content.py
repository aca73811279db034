"""What a digest says, as its reader reads it: why each paper came in their own words,
papers under headings, cards with the facts researchers scan, subjects and plurals, the
reader's frequency, and everything from papers and readers escaped."""

import datetime
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from digest.deliver.render import Renderer
from digest.deliver.why import groups_of, readable_line, why_of, why_sentence
from digest.ingest.sources.arxiv import parse_feed
from digest.ingest.upsert import papers_upsert
from digest.models import DeliveryItem, Paper
from tests.delivery_fixtures import EDITION, make_reader
from tests.mails import visible
from tests.sources import data

pytestmark = pytest.mark.django_db
LINKS = {"manage_url": "https://m.example", "unsubscribe_url": "https://u.example",
         "browser_url": "https://b.example", "feed_url": "https://f.example"}


def send(edition: datetime.date = EDITION) -> None:
    call_command("send_digests", "--date", edition.isoformat(), stdout=StringIO())


def mailed(address: str):
    [message] = [m for m in mail.outbox if m.to == [address]]
    return message


def sections(html: str) -> list[tuple[str, list[str]]]:
    """(heading, titles of the cards under it) of a digest, in order."""
    found = []
    for part in re.split(r'<h2 class="section"', html)[1:]:
        heading = visible("<h2" + part.split("</h2>")[0])
        titles = [visible(t) for t in re.findall(r'class="title"[^>]*><a [^>]+>(.*?)</a>', part)]
        found.append((heading, titles))
    return found


# --- why this paper --------------------------------------------------------------------------


@pytest.mark.parametrize("line, readable", [
    ('"language model" -robotics', "“language model”"),
    ("title:agent", "agent in the title"),
    ('title:"world model" planning', "“world model” in the title, planning"),
    ('author:"Yann LeCun"', "by Yann LeCun"),
    ('diffusion OR "flow matching" video', "diffusion or “flow matching”, video"),
    ("diffus*", "diffus…"),
    ("cat:cs.CL reasoning", "reasoning, in cs.CL"),
    ("GPT-4", "GPT-4"),
])
def test_an_interest_line_reads_as_a_person_would_say_it(line, readable):
    assert readable_line(line) == readable


def test_why_names_the_topic_and_the_readers_own_line_never_the_syntax(papers):
    reader = make_reader("ada@example.org", topics=["interpretability"],
                         interests='"sparse autoencoder" -robotics\ntitle:"world model"')
    send()
    html = mailed("ada@example.org").alternatives[0][0]
    shown = visible(html)
    assert "Why: Interpretability — interpretable, interpretability, sparse, autoencoders" in shown
    assert "Also matches “sparse autoencoder”" in shown
    assert "Why: “world model” in the title" in shown
    for syntax in ("title:", "-robotics", '"sparse autoencoder"', "cat:"):
        assert syntax not in shown
    # The words marked where the reader sees them: the title and the summary.
    assert re.search(r'<mark style="[^"]+">World Model</mark>', html)
    # A feed can say the same from what the delivery stored.
    item = DeliveryItem.objects.get(delivery__subscriber=reader, paper__arxiv_id="2611.13590")
    assert why_sentence(why_of(item.matched, groups_of(reader), title=item.paper.title)) == (
        "“world model” in the title")


def test_a_line_the_reader_dropped_since_still_reads_as_itself(papers):
    reader = make_reader("ada@example.org", interests="sparse autoencoder")
    why = why_of([{"line": 'title:"feature atlas" -robotics', "words": ["feature"]}],
                 groups_of(reader))
    assert why_sentence(why) == "“feature atlas” in the title"


# --- grouping --------------------------------------------------------------------------------


def test_papers_come_once_under_their_best_heading_in_rank_order_with_counts(papers):
    reader = make_reader("ada@example.org", topics=["interpretability", "diffusion-generative"],
                         interests="sparse autoencoder\nspeech")
    send()
    html = mailed("ada@example.org").alternatives[0][0]
    found = sections(html)
    assert len(found) > 1
    for heading, titles in found:
        count = len(titles)
        assert heading.endswith(f"· {count} paper{'s' if count != 1 else ''}"), heading
    shown = [title for _, titles in found for title in titles]
    assert len(shown) == len(set(shown)) == html.count('class="card"')  # each paper once
    ranked = list(DeliveryItem.objects.filter(delivery__subscriber=reader)
                  .order_by("rank").values_list("paper__title", flat=True))
    assert sorted(shown) == sorted(ranked)
    # Headings in rank order: the heading of the best paper first, and so on.
    firsts = [ranked.index(titles[0]) for _, titles in found]
    assert firsts == sorted(firsts)
    sae = "Sparse Autoencoders Find Shared Features Across Language Model Scales"
    assert [heading for heading, titles in found if sae in titles] == [
        "Interpretability · 1 paper"]
    assert "Also matches sparse autoencoder" in visible(html)
    text = mailed("ada@example.org").body
    assert "Interpretability · 1 paper\n==========================" in text


def test_recommended_papers_have_their_own_section_after_the_matched_ones(papers):
    sae, kv = Paper.objects.get(arxiv_id="2611.14021"), Paper.objects.get(arxiv_id="2611.14415")
    liked = {"arxiv_id": "2309.08600", "title": "Sparse <Autoencoders> & Features"}
    digest = Renderer().digest(
        edition=EDITION, email="a@example.org", links=LINKS,
        items=[(sae, [{"line": "sparse autoencoder", "words": ["sparse"]}]),
               (kv, [{"recommended": True, "because": liked}])],
        feedback=lambda paper: (f"https://v.example/more/{paper.arxiv_id}",
                                f"https://v.example/less/{paper.arxiv_id}"))
    assert [heading for heading, _ in sections(digest.html)] == [
        "Sparse autoencoder · 1 paper", "Recommended for you · 1 paper"]
    assert "Recommended for you: close to Sparse <Autoencoders> & Features" in visible(
        digest.html)
    assert "&lt;Autoencoders&gt; &amp; Features" in digest.html
    assert "2 new papers: 1 matching what you follow, 1 recommended for you." in digest.text
    # Every card has its actions, in the mail's part the reader clicks.
    assert digest.html.count(">More like this</a>") == digest.html.count('class="card"') == 2


# --- cards -----------------------------------------------------------------------------------


def test_arxiv_cards_say_how_arxiv_announced_them_with_id_category_and_links(settings):
    listing = parse_feed(data("arxiv_cs_lg_cl.xml"), keep=("new", "cross", "replace"))
    papers_upsert(records=listing.records)
    assert dict(Paper.objects.values_list("arxiv_id", "announce_type")) == {
        "2611.10001": "new", "2611.10100": "cross", "2611.09000": "replace"}
    papers = list(Paper.objects.order_by("arxiv_id"))
    digest = Renderer().digest(edition=EDITION, email="a@example.org", links=LINKS,
                               items=[(paper, []) for paper in papers])
    shown = visible(digest.html)
    assert "Replaced on arXiv v3 · arXiv:2611.09000 · cs.LG An Older Paper, Revised" in shown
    assert "New on arXiv · arXiv:2611.10001 · cs.LG Scaling Laws" in shown
    assert "Cross-listed on arXiv · arXiv:2611.10100 · cs.CL Retrieval Heads" in shown
    assert "Hugging Face" not in shown  # not featured there: no badge, no link
    assert 'href="https://arxiv.org/pdf/2611.10001"' in digest.html
    assert "   arXiv:2611.10100 · cs.CL · Cross-listed on arXiv\n" in digest.text
    assert "   PDF: https://arxiv.org/pdf/2611.10100\n" in digest.text


def test_a_card_shows_only_the_links_its_paper_has(papers):
    bare = Paper.objects.get(arxiv_id="2611.14788")  # no code, no project page
    full = Paper.objects.get(arxiv_id="2611.13877")  # both
    digest = Renderer().digest(edition=EDITION, email="a@example.org", links=LINKS,
                               items=[(full, []), (bare, [])])
    cards = digest.html.split('class="card"')[1:]
    assert "Code ★ 1,204 · Project page" in visible(cards[0])
    assert "Code" not in visible(cards[1]) and "Project page" not in visible(cards[1])
    assert "Code (★ 1,204): https://github.com/example-org/realtime-flow" in digest.text
    assert "Project page: https://example.org/realtime-flow" in digest.text


def test_what_papers_say_is_escaped_where_words_are_marked(papers):
    Paper.objects.filter(arxiv_id="2611.14021").update(
        title="<script>alert(1)</script> Sparse & Autoencoders",
        ai_summary="Sparse <b>features</b>", organization="<i>Lab</i>")
    make_reader("ada@example.org", interests="sparse")
    send()
    html = mailed("ada@example.org").alternatives[0][0]
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; " in html
    assert re.search(r'<mark style="[^"]+">Sparse</mark> &amp; Autoencoders', html)


# --- subject, plurals, frequency -------------------------------------------------------------


def test_one_paper_is_one_paper_in_the_subject_the_intro_and_the_headings(papers):
    make_reader("ada@example.org", topics=["speech-audio"])
    send()
    message = mailed("ada@example.org")
    assert message.subject == "1 paper · Speech and audio · Sat 21 Nov"
    assert "1 new paper matching what you follow." in visible(message.alternatives[0][0])
    assert not re.search(r"\b1 (papers|comments|new papers)\b", message.body)


def test_a_weekly_reader_gets_the_weeks_tagline_subject_and_footer(papers):
    make_reader("wes@example.org", frequency="weekly", topics=["interpretability"])
    monday = datetime.date(2026, 11, 23)  # the week of 16-22 November, the sample's 20th
    send(monday)
    message = mailed("wes@example.org")
    assert message.subject.endswith(" · Interpretability · Week of 16 Nov")
    shown = visible(message.alternatives[0][0])
    assert "Your weekly papers · 16–22 November 2026" in shown
    assert "You get this weekly digest every Monday" in shown
    assert "You get this weekly digest every Monday" in message.body
    assert "daily" not in shown


def test_a_reader_with_no_filters_gets_the_days_most_upvoted(papers):
    make_reader("alan@example.org", papers_per_email=1)
    send()
    message = mailed("alan@example.org")
    assert message.subject == "1 paper · Most upvoted · Sat 21 Nov"
    assert "The most upvoted paper of the day." in visible(message.alternatives[0][0])
