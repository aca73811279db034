"""The beat's daily ingest task and the demo command, with the internet replaced by recordings."""

import datetime
from io import StringIO

import httpx
import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.utils import timezone

from digest.ingest.runs import ingest_hf
from digest.ingest.sources import hf_daily
from digest.models import IngestRun, Paper
from digest.tasks import ingest_daily
from tests.sources import FakeInternet, atom_file, json_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def internet(monkeypatch):
    fake = FakeInternet()
    for module in ("digest.ingest.today", "digest.management.commands.demo"):
        monkeypatch.setattr(f"{module}.build_client", lambda **options: fake.client())
    return fake


def test_the_daily_task_refreshes_yesterday_ingests_today_and_reads_arxiv(internet, settings):
    settings.ARXIV_CATEGORIES = ["cs.LG", "cs.CL"]
    internet.queue("huggingface.co", json_file("hf_day_page0.json"), json_file("hf_day_page1.json"))
    internet.queue("rss.arxiv.org", atom_file("arxiv_cs_lg_cl.xml"))
    ingest_daily.apply()
    today = timezone.now().date()
    asked = [r.url.params.get("date") for r in internet.requests[:2]]
    assert asked == [(today - datetime.timedelta(days=1)).isoformat(), today.isoformat()]
    assert str(internet.requests[2].url) == "https://rss.arxiv.org/atom/cs.LG+cs.CL"
    assert IngestRun.objects.filter(status="succeeded").count() == 3
    assert Paper.objects.count() == 4


def test_a_failed_daily_ingest_is_recorded_and_retried_later(internet):
    internet.queue("huggingface.co", *[httpx.Response(400)] * 2)
    internet.queue("rss.arxiv.org", atom_file("arxiv_cs_lg_cl.xml"))
    with pytest.raises(Retry):
        ingest_daily()
    assert IngestRun.objects.filter(status="failed").count() == 2
    assert IngestRun.objects.filter(status="succeeded").count() == 1


HF_FAULTS = {  # what each of the two Hugging Face fetches (yesterday, today) gets
    "timing out": lambda: [httpx.ReadTimeout("timed out")] * 5,
    "answering 500": lambda: [httpx.Response(500)] * 5,
    "sending malformed JSON": lambda: [json_file("hf_malformed.json")],
    "failing after its first page": lambda: [json_file("hf_day_page0.json"),
                                             *[httpx.Response(503)] * 5],
}


@pytest.mark.parametrize("fault", HF_FAULTS)
def test_hugging_face_failing_is_a_failed_run_without_partial_rows_retried_later(
        internet, monkeypatch, fault):
    monkeypatch.setitem(ingest_hf.__kwdefaults__, "sleep", lambda seconds: None)  # backoff
    monkeypatch.setitem(hf_daily.fetch_listing.__kwdefaults__, "page_size", 2)  # 2 pages
    internet.queue("huggingface.co", *HF_FAULTS[fault](), *HF_FAULTS[fault]())
    internet.queue("rss.arxiv.org", atom_file("arxiv_cs_lg_cl.xml"))
    asked = {}
    monkeypatch.setattr(ingest_daily, "retry", lambda **options: asked.update(options) or Retry())
    with pytest.raises(Retry):
        ingest_daily()
    assert asked == {"countdown": 15 * 60}  # the task runs again in 15 minutes
    failed = IngestRun.objects.filter(source="hf", status="failed")
    assert failed.count() == 2
    assert all(run.error and "\n" not in run.error for run in failed)
    assert not Paper.objects.filter(featured_on__isnull=False).exists()  # nothing from HF
    # The retry, with Hugging Face answering again, stores the day.
    internet.queue("huggingface.co", json_file("hf_day_page0.json"),
                   json_file("hf_day_page1.json"), json_file("hf_day_page0.json"),
                   json_file("hf_day_page1.json"))
    internet.queue("rss.arxiv.org", atom_file("arxiv_cs_lg_cl.xml"))
    ingest_daily()
    assert IngestRun.objects.filter(source="hf", status="succeeded").count() == 2
    assert Paper.objects.filter(featured_on__isnull=False).exists()


def test_the_demo_falls_back_to_the_sample_when_offline(internet):
    out = StringIO()
    call_command("demo", stdout=out)  # the fake internet has nothing queued: unreachable
    lines = out.getvalue().splitlines()
    assert lines[0] == ("Hugging Face is unreachable (ConnectError); "
                        "loading the shipped sample instead.")
    assert lines[1].startswith("Papers: 11 stored (11 new, 0 updated), "
                               "latest featured day 2026-11-20")
    assert "make run, then http://127.0.0.1:8000/" in out.getvalue()


def test_the_demo_ingests_the_live_day_when_online(internet):
    internet.queue("huggingface.co", json_file("hf_day_page1.json"),
                   json_file("hf_day_page1.json"))
    out = StringIO()
    call_command("demo", stdout=out)
    assert out.getvalue().startswith("Papers: 1 stored (1 new, 0 updated)")
    assert IngestRun.objects.get().source == IngestRun.Source.HF
