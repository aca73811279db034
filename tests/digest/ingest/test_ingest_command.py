"""python manage.py ingest, as an operator runs it."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import httpx
import pytest
from django.core.management import CommandError, call_command

from digest.models import IngestRun, Paper
from tests.sources import DATA, FakeInternet, atom_file, json_file

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def sleeps(monkeypatch):
    """The waits between the command's retries, recorded instead of slept."""
    waits = []
    monkeypatch.setattr("digest.management.commands.ingest.sleep", waits.append)
    return waits


@pytest.fixture
def internet(monkeypatch, sleeps):
    """The command's HTTP client, answered by recorded responses instead of the internet."""
    fake = FakeInternet()
    monkeypatch.setattr("digest.management.commands.ingest.build_client",
                        lambda **options: fake.client())
    return fake


def run(*args, stderr=None) -> str:
    out = StringIO()
    call_command("ingest", *args, stdout=out, stderr=stderr or StringIO())
    return out.getvalue()


def offline(*args, tmp_path) -> subprocess.CompletedProcess:
    """The command from a shell, with the network down."""
    return subprocess.run(
        [sys.executable, "-m", "tests.offline", *args], cwd=ROOT, capture_output=True,
        text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "PAPERBOY_VAR_DIR": str(tmp_path)})


def test_it_reads_hf_json_and_atom_files_told_apart_by_content(tmp_path):
    renamed = tmp_path / "feed.json"  # the name lies; the content decides
    renamed.write_bytes((DATA / "arxiv_cs_lg_cl.xml").read_bytes())
    output = run("--file", str(DATA / "hf_day_page0.json"), "--file", str(renamed))
    assert output.strip() == ("File on disk hf_day_page0.json, feed.json: "
                              "3 created, 0 updated, 0 unchanged")
    assert Paper.objects.count() == 3
    merged = Paper.objects.get(arxiv_id="2611.10001")
    assert merged.upvotes == 40 and merged.categories == ["cs.LG", "cs.CL"]


@pytest.mark.parametrize(("args", "message"), [
    (["--file", "missing.json"], "cannot read missing.json: No such file or directory"),
    (["--file", str(DATA / "hf_malformed.json")], "not valid JSON"),
    (["--file", str(DATA / "not_atom.xml")], "not an Atom feed"),
    (["--file", str(DATA / "hf_day_page0.json"), "--file", str(DATA / "not_atom.xml")],
     "not an Atom feed"),
    (["--date", "2026-02-30"], "--date must be a date as YYYY-MM-DD, got '2026-02-30'"),
    (["--since", "2026-11-20", "--until", "2026-11-01"], "is after --until"),
])
def test_bad_input_is_one_clear_error_and_writes_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert Paper.objects.count() == 0
    assert IngestRun.objects.count() == 0


def test_from_a_shell_bad_input_is_one_line_and_a_failing_exit_code(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "ingest", "--file", str(DATA / "hf_malformed.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "PAPERBOY_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("CommandError: ") and "not valid JSON" in line


def test_a_backfill_prints_a_line_per_day_and_the_total(internet):
    for _ in range(3):
        internet.queue("huggingface.co", json_file("hf_day_page1.json"))
    output = run("--since", "2026-11-17", "--until", "2026-11-19")
    asked = [r.url.params["date"] for r in internet.requests]
    assert asked == ["2026-11-17", "2026-11-18", "2026-11-19"]
    assert IngestRun.objects.filter(status="succeeded").count() == 3
    assert output.splitlines() == [
        "Hugging Face Daily Papers 2026-11-17: 1 created, 0 updated, 0 unchanged",
        "Hugging Face Daily Papers 2026-11-18: 0 created, 0 updated, 1 unchanged",
        "Hugging Face Daily Papers 2026-11-19: 0 created, 0 updated, 1 unchanged",
        "Hugging Face Daily Papers 2026-11-17, 2026-11-18, 2026-11-19: "
        "1 created, 0 updated, 2 unchanged",
    ]


def test_a_failed_fetch_is_recorded_and_the_command_fails_saying_why(internet):
    internet.queue("huggingface.co", httpx.Response(400, json={"error": "Invalid date"}))
    errors = StringIO()
    with pytest.raises(CommandError, match="^1 of 1 ingest runs failed$"):
        run("--date", "2026-11-19", stderr=errors)
    [line] = errors.getvalue().splitlines()
    assert line.startswith("Hugging Face Daily Papers 2026-11-19: failed: https://huggingface.co/")
    assert line.endswith('answered 400: {"error":"Invalid date"}')
    assert IngestRun.objects.get().status == IngestRun.Status.FAILED


def test_every_failed_day_of_a_backfill_is_printed_with_its_error(internet, sleeps):
    internet.queue("huggingface.co", httpx.Response(400, json={"error": "Invalid date"}),
                   json_file("hf_day_page1.json"))  # then the network is down
    out, errors = StringIO(), StringIO()
    with pytest.raises(CommandError, match="^2 of 3 ingest runs failed$"):
        call_command("ingest", "--since", "2026-11-17", "--until", "2026-11-19", stdout=out,
                     stderr=errors)
    assert out.getvalue().splitlines()[0] == (
        "Hugging Face Daily Papers 2026-11-18: 1 created, 0 updated, 0 unchanged")
    failed = errors.getvalue().splitlines()
    assert [line.split(": failed: ")[0] for line in failed] == [
        "Hugging Face Daily Papers 2026-11-17", "Hugging Face Daily Papers 2026-11-19"]
    assert failed[0].endswith('answered 400: {"error":"Invalid date"}')
    assert failed[1].endswith("failed 5 times, last: ConnectError: no route to huggingface.co")
    assert len(sleeps) == 4  # the down network was retried, with waits between
    assert Paper.objects.count() == 1


def test_from_a_shell_with_the_network_down_every_run_says_why_and_the_exit_code_is_1(tmp_path):
    result = offline("ingest", "--since", "2026-11-18", "--until", "2026-11-19",
                     tmp_path=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"Hugging Face Daily Papers 2026-11-{day}: failed: https://huggingface.co/api/"
        f"daily_papers failed 5 times, last: ConnectError: network is unreachable"
        for day in (18, 19)] + ["CommandError: 2 of 2 ingest runs failed"]


def test_an_item_that_cannot_be_stored_is_skipped_and_printed_and_the_rest_stored(tmp_path):
    listing = tmp_path / "day.json"
    listing.write_text(json.dumps([
        {"paper": {"id": "2611.00001", "title": "Fine"}},
        {"paper": {"id": "2611.00002", "title": "Nul\u0000"}},
        {"paper": {"id": "2611.00003", "title": "Big", "organization": {"name": "o" * 300}}},
    ]))
    output = run("--file", str(listing))
    assert output.splitlines() == [
        "File on disk day.json: 1 created, 0 updated, 0 unchanged, 2 skipped",
        "  skipped day.json item 2 (2611.00002): title contains a NUL character",
        "  skipped day.json item 3 (2611.00003): organization is 300 characters long, "
        "more than the 200 allowed",
    ]
    assert list(Paper.objects.values_list("arxiv_id", flat=True)) == ["2611.00001"]
    assert IngestRun.objects.get().skipped == 2


def test_arxiv_categories_come_from_the_options(internet):
    internet.queue("rss.arxiv.org", atom_file("arxiv_cs_lg_cl.xml"))
    output = run("--source", "arxiv", "--category", "cs.LG", "--category", "cs.CL")
    assert str(internet.requests[0].url) == "https://rss.arxiv.org/atom/cs.LG+cs.CL"
    assert output.strip() == "arXiv announcements cs.LG+cs.CL: 2 created, 0 updated, 0 unchanged"
