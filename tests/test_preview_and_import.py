"""The live preview endpoint, the filter help, and importing a list of subscribers."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from digest.filters import parse_line
from digest.management.commands.demo import SAMPLE
from subscriptions.models import SignupRequest, Subscriber

pytestmark = pytest.mark.django_db
FILTERS_MD = Path(__file__).resolve().parents[2] / "shared" / "FILTERS.md"


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


def test_the_filter_help_shows_every_example_of_filters_md(client):
    """The help readers see states the rules of shared/FILTERS.md, the code's rules."""
    if not FILTERS_MD.exists():
        pytest.skip("shared/FILTERS.md is not beside this checkout")
    table = FILTERS_MD.read_text().split("## One interest line")[1].split("Default fields")[0]
    examples = re.findall(r"`([^`]+)`", table)
    assert len(examples) >= 12
    page = client.get("/help/filters/").content.decode().replace("&quot;", '"')
    for example in examples:
        assert f"<code>{example}</code>" in page, example
        if not example.startswith("-"):
            parse_line(example)  # every positive example is a valid line


def write_csv(tmp_path, text: str) -> Path:
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    return path


CSV = """email,interests,topics,frequency
ada@example.org,sparse autoencoder;"language model" -robotics,interpretability,daily
not-an-email,x,,daily
bob@example.org,-robotics,,weekly
cy@example.org,,no-such-topic,daily
dee@example.org,,robotics;speech-audio,weekly
ADA@example.org,,,
evan@example.org,diffus*,,monthly
"""


def run_import(path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_subscribers", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_reports_bad_rows_by_line_and_mails_the_good_ones(tmp_path):
    out, err = run_import(write_csv(tmp_path, CSV))
    assert err.splitlines() == [
        "line 3: 'not-an-email' is not a valid email address",
        "line 4: interests: Line 1: “-robotics” only excludes; add at least one word to "
        "look for.",
        "line 5: unknown topic 'no-such-topic'",
        "line 8: frequency must be daily or weekly, got 'monthly'",
    ]
    assert out.strip() == (
        "Imported 2 subscribers (confirmation mailed, not subscribed until confirmed); "
        "1 already here, left as they were; 0 erased at their request; 4 bad rows skipped.")
    assert not Subscriber.objects.exists()  # nobody is mailed digests before confirming
    ada = SignupRequest.objects.get(email="ada@example.org").preferences
    assert ada["interests"] == 'sparse autoencoder\n"language model" -robotics'
    dee = SignupRequest.objects.get(email="dee@example.org").preferences
    assert (dee["frequency"], sorted(dee["topics"])) == ("weekly", ["robotics", "speech-audio"])
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.org", "dee@example.org"]


def test_import_confirmed_marks_rows_opted_in_and_mails_nobody(tmp_path):
    out, _ = run_import(write_csv(tmp_path, CSV), "--confirmed")
    assert "Imported 2 subscribers (active)" in out
    assert set(Subscriber.objects.values_list("status", flat=True)) == {"active"}
    assert all(s.consent_at for s in Subscriber.objects.all())
    assert mail.outbox == []


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read"),
    ("", "needs a header row"),
    ("name,city\nx,y\n", "needs a header row"),
])
def test_import_refuses_a_file_it_cannot_use(tmp_path, content, message):
    path = tmp_path / "missing.csv" if content is None else write_csv(tmp_path, content)
    with pytest.raises(CommandError, match=message):
        run_import(path)
    assert Subscriber.objects.count() == 0
