"""The learned ranking as a reader meets it: what their digest holds when they gave only a
description or seed papers, what a "Less like this" does to papers their lines match,
turning recommendations off, and seed papers fetched from arXiv."""

import email
from email import policy
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from digest.ingest.seeds import seeds_ingest, seeds_missing
from digest.ingest.sources.arxiv_papers import parse_api_feed
from digest.learn.store import papers_embed
from digest.models import Delivery, Paper, PaperEmbedding, ReaderProfile, Vote
from digest.tasks import ingest_seed_papers
from tests.delivery_fixtures import EDITION, make_reader
from tests.sources import FakeInternet, atom_file, data

pytestmark = pytest.mark.django_db

SAE = "2611.14021"  # the sample's "Sparse Autoencoders Find Shared Features ..."
SPEECH = "2611.12988"  # "Speech Language Models That Listen While They Talk"
INTERPRETABILITY = ("Interpretability: what sparse autoencoders, probes and circuits reveal "
                    "about the features inside neural networks.")


def send() -> str:
    out = StringIO()
    call_command("send_digests", "--date", EDITION.isoformat(), stdout=out)
    return out.getvalue()


def digest_of(address: str) -> tuple[str, str]:
    """(the text part, the HTML part) of the digest mailed to `address`."""
    [message] = [m for m in mail.outbox if m.to == [address]]
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    return (parsed.get_body(("plain",)).get_content(), parsed.get_body(("html",)).get_content())


def titles_in(text: str) -> list[str]:
    """The numbered papers of a digest's text part, by arXiv id, in order."""
    return [line.rsplit("/", 1)[-1] for line in text.splitlines()
            if line.strip().startswith("Abstract: https://arxiv.org/abs/")]


def earlier_paper(arxiv_id: str, title: str, abstract: str) -> Paper:
    """A paper the reader knows from before (a seed, or one they voted on), embedded."""
    paper = Paper.objects.create(arxiv_id=arxiv_id, title=title, abstract=abstract)
    papers_embed(paper_ids=[paper.pk])
    return paper


def test_a_reader_with_only_a_description_gets_what_fits_not_everything(papers):
    make_reader("lin@example.org", description=INTERPRETABILITY)
    send()
    text, html = digest_of("lin@example.org")
    sent = titles_in(text)
    assert sent[0] == SAE
    assert 0 < len(sent) < Paper.objects.count() / 2  # ranked and cut, not the whole day
    assert "recommended for you" in text.lower()
    assert "Recommended for you" in html
    assert ReaderProfile.objects.get(subscriber__email="lin@example.org").kind == "rocchio"


def test_a_reader_with_only_seed_papers_is_told_which_seed_a_paper_is_close_to(papers):
    earlier_paper("2309.08600", "Sparse Autoencoders Find Highly Interpretable Features in "
                  "Language Models", "We train sparse autoencoders on a language model's "
                  "activations and find monosemantic, interpretable features.")
    make_reader("sam@example.org", seed_papers="2309.08600")
    send()
    text, html = digest_of("sam@example.org")
    assert titles_in(text)[0] == SAE
    assert "close to Sparse Autoencoders Find Highly Interpretable Features" in text
    assert 'href="https://arxiv.org/abs/2309.08600"' in html


def test_recommendations_off_leaves_only_what_the_lines_match(papers):
    make_reader("on@example.org", interests='"language model"', description=INTERPRETABILITY)
    make_reader("off@example.org", interests='"language model"', description=INTERPRETABILITY,
                recommendations=False)
    make_reader("words@example.org", description=INTERPRETABILITY, recommendations=False)
    send()
    on, _ = digest_of("on@example.org")
    off, _ = digest_of("off@example.org")
    assert "recommended for you" not in off.lower()
    assert set(titles_in(off)) <= set(titles_in(on))
    assert "Why: " in off
    # Words and no lines, recommendations off: nothing to send.
    assert Delivery.objects.get(subscriber__email="words@example.org").status == "skipped"


def test_a_downvoted_kind_of_paper_sinks_below_what_the_lines_match(papers):
    reader = make_reader("ada@example.org", interests='"language model"')
    send()
    first, _ = digest_of("ada@example.org")
    assert {SAE, SPEECH} <= set(titles_in(first))

    # The reader said "Less like this" on an older speech paper: the day's speech paper
    # still matches their line, but sinks to the bottom, and is the one cut at the limit.
    speech = earlier_paper("2401.00001", "Streaming Speech Recognition with Audio Language "
                           "Models", "An audio language model transcribes and answers speech "
                           "in real time, listening while it talks, for spoken dialogue.")
    Vote.objects.create(subscriber=reader, paper=speech, value=Vote.Value.LESS,
                        voted_at=timezone.now())
    Delivery.objects.all().delete()
    mail.outbox.clear()
    send()
    again = titles_in(digest_of("ada@example.org")[0])
    assert again[-1] == SPEECH
    assert set(again) == set(titles_in(first))  # nothing else changed: the lines still rule

    reader.papers_per_email = len(again) - 1
    reader.save()
    Delivery.objects.all().delete()
    mail.outbox.clear()
    send()
    assert SPEECH not in titles_in(digest_of("ada@example.org")[0])


def test_seed_papers_arxiv_knows_are_stored_without_listing_dates():
    listing = parse_api_feed(data("arxiv_api_query.xml"))
    assert [r.arxiv_id for r in listing.records] == ["2309.08600", "2209.10652"]
    sae = listing.records[0]
    assert sae.title == "Sparse Autoencoders Find Highly Interpretable Features in Language Models"
    assert sae.authors == ("Hoagy Cunningham", "Aidan Ewart")
    assert sae.announced_on is None and sae.featured_on is None  # never an edition's news
    assert listing.skipped == ["entry 3: not a paper (an unknown id?)"]


def test_the_seed_task_fetches_only_what_is_missing_then_embeds_it(monkeypatch):
    internet = FakeInternet()
    monkeypatch.setattr("digest.ingest.seeds.build_client", lambda **options: internet.client())
    monkeypatch.setattr("digest.ingest.sources.arxiv_papers.time.sleep", lambda s: None)
    Paper.objects.create(arxiv_id="2611.14021", title="Already stored")
    make_reader("sam@example.org", seed_papers="2309.08600\n2209.10652\n2611.14021")
    assert seeds_missing() == ["2209.10652", "2309.08600"]
    internet.queue("export.arxiv.org", atom_file("arxiv_api_query.xml"))

    assert ingest_seed_papers.apply().get() == 2
    [request] = internet.requests
    assert request.url.params["id_list"] == "2209.10652,2309.08600"
    assert seeds_missing() == []
    stored = Paper.objects.get(arxiv_id="2309.08600")
    assert stored.featured_on is None and stored.announced_on is None
    assert PaperEmbedding.objects.filter(paper=stored).exists()


def test_arxiv_unreachable_leaves_the_seeds_missing_for_the_next_day(monkeypatch):
    internet = FakeInternet()  # nothing queued: every request is refused
    monkeypatch.setattr("digest.ingest.seeds.build_client", lambda **options: internet.client())
    monkeypatch.setattr("digest.ingest.sources.arxiv_papers.time.sleep", lambda s: None)
    make_reader("sam@example.org", seed_papers="2309.08600")
    assert ingest_seed_papers.apply(kwargs={}).get() == 0
    assert seeds_missing() == ["2309.08600"]
    assert seeds_ingest([]) == []


def test_every_paper_ingested_is_embedded_at_ingestion(papers):
    assert PaperEmbedding.objects.count() == Paper.objects.count() == 11


def test_before_any_paper_is_embedded_learning_readers_get_their_filters_digest(papers):
    """A new model's name, or a worker that has not run the embedding tasks yet: no paper
    has a vector. The edition still goes out, by the readers' filters."""
    PaperEmbedding.objects.all().delete()
    make_reader("lin@example.org", interests="sparse autoencoder", description=INTERPRETABILITY)
    make_reader("words@example.org", description=INTERPRETABILITY)
    send()
    assert titles_in(digest_of("lin@example.org")[0]) == [SAE]
    assert "recommended" not in digest_of("words@example.org")[0].lower()
