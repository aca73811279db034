"""The live preview endpoint: last week's matches counted, the best shown, a bad line
explained, and the endpoint rate-limited."""

from io import StringIO

import pytest
from django.core.management import call_command

from digest.management.commands.demo import SAMPLE

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample_papers():
    call_command("ingest", "--file", str(SAMPLE), stdout=StringIO())


def test_the_preview_counts_last_weeks_matches_and_shows_the_best(client, sample_papers):
    answer = client.get("/preview/", {"interests": "sparse autoencoder"}).json()
    assert (answer["matched"], answer["papers"]) == (1, 11)
    assert (answer["since"], answer["until"]) == ("2026-11-14", "2026-11-20")
    [top] = answer["top"]
    assert top["title"] == "Sparse Autoencoders Find Shared Features Across Language Model Scales"
    assert top["words"] == ["autoencoders", "sparse"]
    assert top["url"] == "https://huggingface.co/papers/2611.14021"


def test_the_preview_adds_topics_and_authors(client, sample_papers):
    answer = client.get("/preview/", {"topics": ["speech-audio"], "authors": "Grace Liu"}).json()
    titles = [paper["title"] for paper in answer["top"]]
    assert "Speech Language Models That Listen While They Talk" in titles
    assert "Vision-Language-Action Models for Dexterous Robot Manipulation" in titles


def test_the_preview_without_filters_is_the_top_of_the_day(client, sample_papers):
    answer = client.get("/preview/").json()
    assert answer["everything"] and answer["matched"] == 11 and len(answer["top"]) == 5


def test_a_bad_line_in_the_preview_says_why(client, sample_papers):
    response = client.get("/preview/", {"interests": "ok\n-robotics"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("Line 2: “-robotics” only excludes")


def test_the_preview_is_rate_limited(client, sample_papers):
    for _ in range(60):
        assert client.get("/preview/", {"interests": "x"}).status_code == 200
    assert client.get("/preview/", {"interests": "x"}).status_code == 429


def test_the_preview_with_no_papers_yet(client):
    answer = client.get("/preview/", {"interests": "diffusion"}).json()
    assert answer["papers"] == 0 and answer["top"] == []
