"""The live preview endpoint, the filter help, and importing a list of subscribers."""

import html
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from digest.filters import FilterError, parse_line
from digest.management.commands.demo import SAMPLE
from subscriptions.models import Subscriber, Topic

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "filters.md"  # the readers' guide, in this repository
SPEC = ROOT.parent / "shared" / "FILTERS.md"  # the team's spec, when it is beside the checkout


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
    speech = Topic.objects.get(slug="speech-audio").pk
    answer = client.get("/preview/", {"topics": [speech], "authors": "Grace Liu"}).json()
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


def guide_tables() -> dict[str, list[list[str]]]:
    """Each table of docs/filters.md, by the heading above it: its rows as lists of cells."""
    tables: dict[str, list[list[str]]] = {}
    heading = ""
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.startswith("|") and not line.startswith("|---"):
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            tables.setdefault(heading, []).append(cells)
    return {heading: rows[1:] for heading, rows in tables.items()}  # without the header row


def code_spans(markdown: str) -> list[str]:
    return re.findall(r"`([^`]+)`", markdown)


def help_page(client) -> str:
    return html.unescape(client.get("/help/filters/").content.decode())


def test_the_filter_help_page_shows_the_guide_in_this_repository(client):
    page = help_page(client)
    assert "<h1>How to write interest lines</h1>" in page
    for rows in guide_tables().values():
        for row in rows:
            for example in code_spans(row[0]):
                assert f"<code>{example}</code>" in page, example
    assert "shared" not in page and "FILTERS.md" not in page


def test_every_example_line_of_the_guide_parses_and_every_error_reads_as_documented():
    tables = guide_tables()
    errors = tables.pop("When a line cannot be used")
    assert len(errors) >= 8
    examples = [example for rows in tables.values() for row in rows
                for example in code_spans(row[0])]
    assert len(examples) >= 18
    for example in examples:
        if example.startswith("-"):  # an exclusion, shown on its own: with something to find
            example = f"diffusion {example}"
        parse_line(example)
    for line, message in errors:
        [line] = code_spans(line)
        with pytest.raises(FilterError) as raised:
            parse_line(line)
        assert str(raised.value) == message, line


def test_the_guide_has_every_example_of_the_spec_table(client):
    """docs/filters.md, and so the help page, carries every example of the spec's table."""
    guide = GUIDE.read_text(encoding="utf-8")
    spec_examples = [
        'sparse autoencoder', '"language model"', "-robotics", '-"reinforcement learning"',
        'diffusion OR "flow matching" video', "diffus*", "title:agent", 'title:"world model"',
        "author:Hinton", 'author:"Yann LeCun"', "cat:cs.CL", "self-supervised", "GPT-4"]
    if SPEC.exists():  # and the spec itself, when it is beside this checkout
        table = SPEC.read_text().split("## One interest line")[1].split("Default fields")[0]
        assert len(code_spans(table)) >= 13
        spec_examples += code_spans(table)
    page = help_page(client)
    for example in spec_examples:
        assert f"`{example}`" in guide, example
        assert f"<code>{example}</code>" in page, example


def test_the_short_help_on_the_signup_page_has_the_spec_table_and_links_to_the_guide(client):
    page = html.unescape(client.get("/").content.decode())
    for example in ['diffusion OR "flow matching" video', "-robotics", "cat:cs.CL", "GPT-4"]:
        assert f"<code>{example}</code>" in page, example
    assert 'href="/help/filters/"' in page


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
        "line 4: interests: “-robotics” only excludes; add at least one word to look for.",
        "line 5: unknown topic 'no-such-topic'",
        "line 8: frequency must be daily or weekly, got 'monthly'",
    ]
    assert out.strip() == ("Imported 2 subscribers (pending, confirmation mailed); "
                           "1 already subscribed; 4 bad rows skipped.")
    ada = Subscriber.objects.get(email="ada@example.org")
    assert ada.status == "pending"
    assert ada.interest_lines == ["sparse autoencoder", '"language model" -robotics']
    dee = Subscriber.objects.get(email="dee@example.org")
    assert (dee.frequency, sorted(t.slug for t in dee.topics.all())) == (
        "weekly", ["robotics", "speech-audio"])
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
