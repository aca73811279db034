"""The production-like stack (config/Procfile under honcho: gunicorn, a Celery worker, one
beat, the fake ESP) on PostgreSQL and Redis, end to end: a tick's digests reach the ESP and
the links in them work against gunicorn."""

import json
import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import service_missing
from tests.workers import ROOT, free_port, wait_until

pytestmark = pytest.mark.services
SEED = """
import datetime
from django.core.management import call_command
from django.utils import timezone
from digest.models import Paper
from subscriptions.models import Subscriber
call_command("ingest", "--file", "digest/sample_data/hf_daily_papers.json")
now = timezone.now()
Paper.objects.update(featured_on=now.date() - datetime.timedelta(days=1))
for email, interests in [("ada@example.org", "sparse autoencoder"),
                         ("bob@example.org", "speech"), ("cy@example.org", "")]:
    Subscriber.objects.create(email=email, status="active", interests=interests,
                              timezone="UTC", send_hour=now.hour, consent_at=now)
"""


@pytest.fixture
def stack_env(tmp_path, redis_url):
    database = f"paperboy_e2e_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                             autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
    except psycopg.OperationalError as error:
        service_missing(f"PostgreSQL is not reachable: {error}")
    values = {}
    for line in (ROOT / "config" / "stack.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value.strip('"')
    web, esp = free_port(), free_port()
    values.update(DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}",
                  REDIS_URL=redis_url.rsplit("/", 1)[0] + "/3",
                  CELERY_QUEUE=f"e2e-{uuid.uuid4().hex[:6]}", PAPERBOY_VAR_DIR=str(tmp_path),
                  WEB_PORT=str(web), ESP_PORT=str(esp),
                  ANYMAIL_POSTMARK_API_URL=f"http://127.0.0.1:{esp}/",
                  # The project's own settings, as `make stack` runs them, not the tests'.
                  DJANGO_SETTINGS_MODULE="config.settings")
    env_file = tmp_path / "stack.env"
    env_file.write_text("".join(f'{k}="{v}"\n' for k, v in values.items()))
    yield values, env_file
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                         autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT,
                            env={**os.environ, **env}, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def test_the_stack_sends_a_tick_through_the_fake_esp(stack_env):
    env, env_file = stack_env
    # The Procfile names gunicorn, celery and python: this virtualenv's, as `make stack` does.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "shell", "-c", SEED)
    honcho = subprocess.Popen(
        [str(Path(sys.executable).with_name("honcho")), "-f", "config/Procfile", "-e",
         str(env_file), "-d", str(ROOT), "start"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True)
    site = f"http://127.0.0.1:{env['WEB_PORT']}"
    record = Path(env["PAPERBOY_VAR_DIR"]) / "esp.jsonl"
    try:
        def web_up():
            try:
                return httpx.get(f"{site}/papers/", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_until(web_up, seconds=60), "gunicorn never answered"
        assert "Sparse Autoencoders Find Shared Features" in httpx.get(f"{site}/papers/").text
        call = subprocess.run(
            [sys.executable, "-m", "celery", "-A", "config", "call",
             "digest.tasks.dispatch_tick", "--queue", env["CELERY_QUEUE"]],
            cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
        assert call.returncode == 0, call.stderr

        def three_sent():
            return record.exists() and len(record.read_text().splitlines()) >= 3

        assert wait_until(three_sent, seconds=90), "the worker never sent the digests"
        messages = [json.loads(line) for line in record.read_text().splitlines()]
        assert sorted(m["To"] for m in messages) == [
            "ada@example.org", "bob@example.org", "cy@example.org"]
        ada = next(m for m in messages if m["To"] == "ada@example.org")
        view = re.search(r"https://paperboy\.example\.org(/d/[^\"]+/)", ada["HtmlBody"]).group(1)
        page = httpx.get(site + view)
        assert page.status_code == 200 and "Sparse Autoencoders" in page.text
        headers = {h["Name"]: h["Value"] for h in ada["Headers"]}
        unsubscribe = re.search(r"https://paperboy\.example\.org(/u/[^>]+/)",
                                headers["List-Unsubscribe"]).group(1)
        one_click = httpx.post(site + unsubscribe, content=b"List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert one_click.status_code == 200
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)
        output, _ = honcho.communicate(timeout=60)
    assert re.search(r"beat\.1 +\| celery beat v[\d.]+ .* is starting", output), output[-3000:]
    status = manage(env, "shell", "-c", "from subscriptions.models import Subscriber; "
                    "print(Subscriber.objects.get(email='ada@example.org').status)")
    assert status.stdout.strip().splitlines()[-1] == "unsubscribed"
