"""The site as production runs it behind a TLS proxy: gunicorn (2 workers, DEBUG off,
config/gunicorn.conf.py, TRUSTED_PROXY_COUNT=1, no Redis) behind a proxy that appends the
address it saw to X-Forwarded-For, visitors connecting from different loopback addresses."""

import os
import re
import subprocess
import sys

import httpx
import pytest
from django.conf import settings
from django.urls import reverse

from subscriptions import tokens
from subscriptions.models import SignupRequest, Subscriber
from tests.subscriptions.factories import SignupRequestFactory
from tests.system.proxy import AppendingProxy
from tests.workers import ROOT, database_url_for_worker, free_port, wait_until

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(scope="module")
def site(django_db_setup, tmp_path_factory):
    """One gunicorn for the module; each test's data is its own (transactional tests)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CLIENT_IP_META_KEY"}}
    env.update(DEBUG="false", SECRET_KEY=settings.SECRET_KEY,
               ALLOWED_HOSTS="127.0.0.1,localhost", SITE_URL="https://paperboy.example.org",
               SECURE_SSL_REDIRECT="false", PAPERBOY_VAR_DIR=str(tmp_path_factory.mktemp("web")),
               DATABASE_URL=database_url_for_worker(), TRUSTED_PROXY_COUNT="1")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        with AppendingProxy(f"http://127.0.0.1:{port}") as proxy:
            def up():
                try:
                    return httpx.get(f"{proxy.url}/help/filters/", timeout=2).status_code == 200
                except httpx.HTTPError:
                    return False

            assert wait_until(up, seconds=60), "gunicorn never answered"
            yield proxy.url
    finally:
        server.terminate()
        server.communicate(timeout=30)


class Visitor:
    """A browser on this machine, connecting from its own loopback address, that may write
    its own X-Forwarded-For."""

    def __init__(self, site: str, address: str):
        self.site = site
        self.http = httpx.Client(transport=httpx.HTTPTransport(local_address=address),
                                 timeout=30)

    def post_form(self, path: str, data: dict, forwarded: str | None = None) -> httpx.Response:
        page = self.http.get(self.site + path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        headers = {"Cookie": f"csrftoken={page.cookies['csrftoken']}"}  # Secure: sent by hand
        if forwarded is not None:
            headers["X-Forwarded-For"] = forwarded
        return self.http.post(self.site + path, data={**data, "csrfmiddlewaretoken": token},
                              headers=headers)


def test_rotating_x_forwarded_for_through_the_proxy_does_not_pass_the_limit(site):
    visitor = Visitor(site, "127.0.0.2")
    answers = [visitor.post_form("/", {"email": f"r{n}@example.org", "frequency": "daily",
                                       "send_hour": "7", "timezone": "UTC",
                                       "papers_per_email": "10", "min_upvotes": "0"},
                                 forwarded=f"192.0.2.{n}").status_code for n in range(24)]
    assert answers.count(302) == 20 and answers[20:] == [429] * 4, answers
    assert SignupRequest.objects.count() == 20


def test_consent_through_the_proxy_records_the_visitors_address_whatever_they_wrote(site):
    request = SignupRequestFactory(email="ada@example.org")
    confirm = reverse("subscriptions:confirm", args=[tokens.confirm_token_make(request=request)])
    visitor = Visitor(site, "127.0.0.3")
    assert visitor.post_form(confirm, {}, forwarded="not-an-ip").status_code == 200
    reader = Subscriber.objects.get(email="ada@example.org")
    assert (reader.status, reader.consent_ip) == ("active", "127.0.0.3")


def test_failures_claiming_the_operators_address_lock_out_only_the_attacker(
        site, django_user_model):
    django_user_model.objects.create_superuser("boss", "boss@example.org", "right-pass-123")
    attacker, operator = Visitor(site, "127.0.0.4"), Visitor(site, "127.0.0.5")

    def log_in(visitor, password, forwarded=None) -> int:
        return visitor.post_form("/admin/login/", {"username": "boss", "password": password,
                                                   "next": "/admin/"},
                                 forwarded=forwarded).status_code

    answers = [log_in(attacker, "wrong", forwarded="127.0.0.5") for _ in range(5)]
    assert answers[:4] == [200] * 4 and answers[4] in (403, 429)  # the fifth locks the pair
    assert log_in(attacker, "right-pass-123", forwarded="127.0.0.5") in (403, 429)
    assert log_in(operator, "right-pass-123") == 302  # signed in
