"""python manage.py run_daily as cron runs it: a line per ingest run, real waits between
retries (recorded here), and an exit code that says whether the day went well."""

import datetime
import subprocess
import sys
from io import StringIO
from pathlib import Path

import httpx
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from digest.ingest.today import ingest_retry_policy
from digest.models import Delivery, IngestRun
from tests.delivery_fixtures import EDITION, make_reader
from tests.sources import FakeInternet, atom_file, json_file

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
HF, ARXIV = "huggingface.co", "rss.arxiv.org"


@pytest.fixture
def sleeps(monkeypatch):
    waits = []
    monkeypatch.setattr("digest.management.commands.run_daily.sleep", waits.append)
    return waits


@pytest.fixture
def internet(monkeypatch, sleeps, settings):
    settings.ARXIV_CATEGORIES = ["cs.LG", "cs.CL"]
    fake = FakeInternet()
    monkeypatch.setattr("digest.ingest.today.build_client",
                        lambda **options: fake.client())
    return fake


def run_daily(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("run_daily", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def days() -> list[str]:
    today = timezone.now().date()
    return [(today - datetime.timedelta(days=1)).isoformat(), today.isoformat()]


def test_a_good_day_prints_each_ingest_run_then_the_sends_and_exits_0(internet, papers):
    make_reader("ada@example.org", interests="sparse autoencoder")
    internet.queue(HF, json_file("hf_day_page1.json"), json_file("hf_day_page1.json"))
    internet.queue(ARXIV, atom_file("arxiv_cs_lg_cl.xml"))
    out, err = run_daily("--date", EDITION.isoformat())
    yesterday, today = days()
    assert out.splitlines() == [
        f"Ingest Hugging Face Daily Papers {yesterday}: 1 created, 0 updated, 0 unchanged",
        f"Ingest Hugging Face Daily Papers {today}: 0 created, 0 updated, 1 unchanged",
        "Ingest arXiv announcements cs.LG+cs.CL: 2 created, 0 updated, 0 unchanged",
        "Editions 2026-11-21: 1 sent, 0 skipped (no matches), 0 skipped (unsubscribed or "
        "paused), 0 failed, 0 to retry.",
    ]
    assert err == ""


def test_a_503_is_retried_after_a_real_backoff(internet, sleeps):
    internet.queue(HF, httpx.Response(503), json_file("hf_day_page1.json"),
                   json_file("hf_day_page1.json"))
    internet.queue(ARXIV, atom_file("arxiv_cs_lg_cl.xml"))
    run_daily()
    [wait] = sleeps
    assert 1.0 <= wait <= 2.0  # the first retry: the upper half of the 2 s base
    assert IngestRun.objects.filter(status="succeeded").count() == 3


def test_a_429_waits_what_hugging_face_asks(internet, sleeps):
    internet.queue(HF, httpx.Response(429, headers={"RateLimit": '"api";r=0;t=12'}),
                   json_file("hf_day_page1.json"),
                   httpx.Response(429, headers={"Retry-After": "5"}),
                   json_file("hf_day_page1.json"))
    internet.queue(ARXIV, atom_file("arxiv_cs_lg_cl.xml"))
    run_daily()
    assert sleeps == [12.0, 5.0]


def test_with_the_network_down_the_waits_grow_and_stay_bounded(internet, sleeps):
    with pytest.raises(CommandError):
        run_daily()
    hf_waits, arxiv_waits = sleeps[:6], sleeps[6:]
    for waits in (hf_waits[:3], hf_waits[3:]):  # each HF day: 1-2 s, 2-4 s, 4-8 s
        assert all(2 ** n <= wait <= 2 ** (n + 1) for n, wait in enumerate(waits))
    assert len(arxiv_waits) == 3 and min(arxiv_waits) >= 3.0  # arXiv: never under 3 s
    assert sum(sleeps) <= 3 * ingest_retry_policy().longest_wait  # 3 minutes at the very worst


def test_with_every_source_down_it_sends_nothing_and_exits_1(internet, papers):
    make_reader("ada@example.org", interests="sparse autoencoder")
    with pytest.raises(CommandError) as raised:
        run_daily("--date", EDITION.isoformat())
    assert raised.value.returncode == 1
    assert str(raised.value).startswith("every ingest run failed, so no digest was sent")
    assert not Delivery.objects.exists()
    # The operator may still send what is stored.
    out, _ = run_daily("--date", EDITION.isoformat(), "--skip-ingest")
    assert out.startswith("Editions 2026-11-21: 1 sent")


def test_with_one_source_down_it_says_so_sends_and_exits_3(internet, papers):
    make_reader("ada@example.org", interests="sparse autoencoder")
    internet.queue(HF, json_file("hf_day_page1.json"), json_file("hf_day_page1.json"))
    internet.queue(ARXIV, httpx.Response(429, headers={"Retry-After": "3600"}))
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("run_daily", "--date", EDITION.isoformat(), stdout=out, stderr=err)
    assert raised.value.returncode == 3
    assert str(raised.value) == ("1 of 3 ingest runs failed; the digests went out with the "
                                 "papers stored")
    assert err.getvalue().splitlines() == [
        "Ingest arXiv announcements cs.LG+cs.CL: failed: https://rss.arxiv.org/atom/cs.LG+cs.CL "
        "answered 429 Too Many Requests and asked to wait 3600 s, longer than the 20 s allowed"]
    assert "Editions 2026-11-21: 1 sent" in out.getvalue()
    assert Delivery.objects.get().status == "sent"


def test_from_a_shell_with_the_network_down_it_prints_every_source_and_exits_1(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tests.offline", "run_daily"], cwd=ROOT, capture_output=True,
        text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "PAPERBOY_VAR_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert [line.split(": failed: ")[0] for line in lines[:3]] == [
        *(f"Ingest Hugging Face Daily Papers {day}" for day in days()),
        "Ingest arXiv announcements cs.LG+cs.CL+cs.CV+cs.AI"]
    assert all(line.endswith("failed 4 times, last: ConnectError: network is unreachable")
               for line in lines[:3])
    assert lines[3].startswith("CommandError: every ingest run failed, so no digest was sent")
    assert len(lines) == 4
