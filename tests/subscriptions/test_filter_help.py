"""The filter help: the readers' guide (docs/filters.md) on its page, every example in it
parsing and every error reading as documented, and the signup page's short help."""

import html
import re
from pathlib import Path

import pytest

from subscriptions.filters import FilterError, parse_line

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "filters.md"  # the readers' guide, in this repository
SPEC = ROOT.parent / "shared" / "FILTERS.md"  # the team's spec, when it is beside the checkout


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
