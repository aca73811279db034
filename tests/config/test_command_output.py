"""What a person sees running the commands: at the default verbosity each command's own output
and summary and no log records; with -v 2 the log as well; with LOG_FORMAT=json, JSON lines.

The commands run in their own processes (on a SQLite file of their own), so the logging they
show is configured as in production, not as the test run configures it.
"""

import json
import os
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands, load_command_class

from config.commands import BaseCommand

ROOT = Path(__file__).resolve().parents[2]
CSV = "email,interests\nada@example.org,diffusion\nnot-an-address,x\nbob@example.org,speech\n"


def manage(*args: str, var: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items()
               if key not in {"DATABASE_URL", "REDIS_URL", "LOG_FORMAT", "LOG_LEVEL"}}
    environ.update(PAPERBOY_VAR_DIR=str(var), **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    var = tmp_path_factory.mktemp("migrated")
    result = manage("migrate", "--no-input", "-v", "0", var=var)
    assert result.returncode == 0, result.stderr
    return var / "paperboy.sqlite3"


@pytest.fixture
def var(migrated, tmp_path) -> Path:
    """A var/ directory of its own, its database migrated and empty."""
    shutil.copy(migrated, tmp_path / "paperboy.sqlite3")
    return tmp_path


def test_the_demo_prints_its_summary_and_no_log_records(var):
    result = manage("demo", "--offline", var=var)
    assert result.returncode == 0
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "Papers", "Readers", "Editions 2026-11-21", "Mail", "Open the site"]
    assert lines[2].startswith("Editions 2026-11-21: 4 sent, 0 skipped (no matches)")


def test_the_demo_with_v2_prints_the_log_as_sentences_with_details(var):
    result = manage("demo", "--offline", "-v", "2", var=var)
    assert result.returncode == 0
    [batch] = [line for line in result.stderr.splitlines() if "digest.deliver.batch" in line]
    assert (" INFO digest.deliver.batch: Finished a send batch: digests=4 sent=4 failed=0 "
            "skipped=0 retrying=0 not_pending=0 total_s=") in batch
    assert "{" not in result.stderr  # no record is the repr of a dict
    assert result.stdout.splitlines()[2].startswith("Editions 2026-11-21: 4 sent")


def test_log_format_json_prints_one_json_object_a_line(var):
    result = manage("demo", "--offline", "-v", "2", var=var, LOG_FORMAT="json")
    assert result.returncode == 0
    records = [json.loads(line) for line in result.stderr.splitlines()]
    [batch] = [record for record in records if record["logger"] == "digest.deliver.batch"]
    assert batch["level"] == "INFO"
    assert batch["message"].startswith("Finished a send batch: digests=4 sent=4 ")
    assert (batch["digests"], batch["sent"], batch["failed"]) == (4, 4, 0)
    assert batch["time"].startswith("20") and batch["time"].endswith("+00:00")


def test_an_import_prints_its_bad_rows_and_summary_but_no_task_lines(var):
    (var / "list.csv").write_text(CSV)
    result = manage("import_subscribers", str(var / "list.csv"), var=var)
    assert result.returncode == 0
    # Two confirmation mails went out through in-process tasks, without a word about them.
    assert result.stderr.splitlines() == [
        "line 3: email 'not-an-address': Enter a valid email address"]
    assert result.stdout.splitlines() == [
        "Added 2 subscribers (confirmation mailed; subscribed once confirmed); 0 already "
        "there, left as they were; 1 row skipped."]
    assert len(list((var / "outbox").glob("*.eml"))) == 2


def test_an_import_with_v2_shows_the_tasks_it_ran(var):
    (var / "list.csv").write_text(CSV)
    result = manage("import_subscribers", str(var / "list.csv"), "-v", "2", var=var)
    tasks = [line for line in result.stderr.splitlines() if "celery.app.trace" in line]
    # Both confirmation mails from one task: an import queues its mails in bulk.
    assert len(tasks) == 1 and "subscriptions.tasks.send_confirmations[" in tasks[0]
    assert len(list((var / "outbox").glob("*.eml"))) == 2
    assert "No hostname was supplied" not in result.stderr


def test_every_paperboy_command_shows_the_log_by_its_verbosity():
    """They all derive from config.commands.BaseCommand, where -v maps to a log level."""
    ours = [name for name, app in get_commands().items() if app in {"digest", "subscriptions"}]
    assert {"demo", "ingest", "send_digests", "import_subscribers"} <= set(ours)
    for name in ours:
        command = load_command_class(get_commands()[name], name)
        assert isinstance(command, BaseCommand), name


@pytest.mark.django_db
def test_a_dry_run_when_nobody_is_due_says_how_to_build_an_edition(settings):
    out = StringIO()
    call_command("send_digests", "--dry-run", stdout=out)
    [line] = out.getvalue().splitlines()
    assert line.startswith("Nobody is due a digest now: each reader gets theirs at their own "
                           "hour. To build an edition for everyone, whatever their hour, name "
                           "it: send_digests --date YYYY-MM-DD (with --dry-run to only look)")


@pytest.mark.django_db
def test_a_dry_run_of_an_edition_nobody_is_due_says_so():
    out = StringIO()
    call_command("send_digests", "--dry-run", "--date", "2026-11-21", stdout=out)
    assert out.getvalue().startswith("Nobody is due edition 2026-11-21: no active reader is "
                                     "waiting for it")
