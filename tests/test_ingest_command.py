"""python manage.py ingest, as an operator runs it."""

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
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def internet(monkeypatch):
    """The command's HTTP client, answered by recorded responses instead of the internet."""
    fake = FakeInternet()
    monkeypatch.setattr("digest.management.commands.ingest.build_client",
                        lambda **options: fake.client())
    return fake


def run(*args) -> str:
    out = StringIO()
    call_command("ingest", *args, stdout=out)
    return out.getvalue()


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


def test_a_backfill_runs_one_recorded_run_per_day(internet):
    for _ in range(3):
        internet.queue("huggingface.co", json_file("hf_day_page1.json"))
    output = run("--since", "2026-11-17", "--until", "2026-11-19")
    asked = [r.url.params["date"] for r in internet.requests]
    assert asked == ["2026-11-17", "2026-11-18", "2026-11-19"]
    assert IngestRun.objects.filter(status="succeeded").count() == 3
    assert output.strip() == ("Hugging Face Daily Papers 2026-11-17, 2026-11-18, 2026-11-19: "
                              "1 created, 0 updated, 2 unchanged")


def test_a_failed_fetch_is_recorded_and_the_command_fails(internet):
    internet.queue("huggingface.co", httpx.Response(400, json={"error": "Invalid date"}))
    with pytest.raises(CommandError, match="1 of 1 runs failed: .*answered 400"):
        run("--date", "2026-11-19")
    assert IngestRun.objects.get().status == IngestRun.Status.FAILED


def test_arxiv_categories_come_from_the_options(internet):
    internet.queue("rss.arxiv.org", atom_file("arxiv_cs_lg_cl.xml"))
    output = run("--source", "arxiv", "--category", "cs.LG", "--category", "cs.CL")
    assert str(internet.requests[0].url) == "https://rss.arxiv.org/atom/cs.LG+cs.CL"
    assert output.strip() == "arXiv announcements cs.LG+cs.CL: 2 created, 0 updated, 0 unchanged"
