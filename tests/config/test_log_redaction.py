"""Signed links never reach a log: gunicorn's access log and Django's own log lines show
/manage/<redacted>/ instead of the token."""

import logging
import os
import re
import subprocess
import sys
import time

import httpx
import pytest
from django.conf import settings
from django.urls import get_resolver

from config.log_redaction import TOKEN_ROUTES, RedactTokens, text_redact
from tests.workers import ROOT, free_port, wait_until

TOKEN = "eyJzIjoiYWRhIn0:1vQ3zX:AbCdEf-GhIjKl_MnOpQr"


@pytest.mark.parametrize(("text", "expected"), [
    (f"/manage/{TOKEN}/", "/manage/<redacted>/"),
    (f"GET /confirm/{TOKEN}/ HTTP/1.1", "GET /confirm/<redacted>/ HTTP/1.1"),
    (f"POST /u/{TOKEN}/?x=1 HTTP/1.1", "POST /u/<redacted>/?x=1 HTTP/1.1"),
    (f"https://paperboy.example.org/d/{TOKEN}/", "https://paperboy.example.org/d/<redacted>/"),
    (f"POST /v/{TOKEN}/ HTTP/1.1", "POST /v/<redacted>/ HTTP/1.1"),
    (f"POST /team-u/{TOKEN}/ HTTP/1.1", "POST /team-u/<redacted>/ HTTP/1.1"),
    (f"GET /feeds/{TOKEN}.atom HTTP/1.1", "GET /feeds/<redacted> HTTP/1.1"),
    (f"Bad Request: /manage/{TOKEN}/", "Bad Request: /manage/<redacted>/"),
    (f"/manage/{TOKEN}", "/manage/<redacted>"),
    ("GET /papers/ HTTP/1.1", "GET /papers/ HTTP/1.1"),
    ("/admin/subscriptions/subscriber/12/change/", "/admin/subscriptions/subscriber/12/change/"),
    ("/manage/ and /u/", "/manage/ and /u/"),
])
def test_tokens_in_paths_and_urls_are_redacted(text, expected):
    assert text_redact(text) == expected


def test_every_route_that_takes_a_token_is_redacted():
    """A new signed-link page must be added to TOKEN_ROUTES: this finds it."""
    def routes(resolver, prefix=""):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from routes(pattern, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    with_token = [route for route in routes(get_resolver()) if "<str:token>" in route]
    assert len(with_token) == 12  # my-data.json and a reader's teams sit under manage/
    for route in with_token:
        assert text_redact("/" + route.replace("<str:token>", TOKEN)) != "/" + route.replace(
            "<str:token>", TOKEN), route
    assert {route.split("/")[0] for route in with_token} == set(TOKEN_ROUTES)


def test_djangos_log_records_lose_their_token_before_any_handler_writes_them():
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "%s: %s",
                               ("Bad Request", f"/manage/{TOKEN}/"), None)
    assert RedactTokens().filter(record) is True
    assert record.getMessage() == "Bad Request: /manage/<redacted>/"
    console = settings.LOGGING["handlers"]["console"]
    assert settings.LOGGING["filters"][console["filters"][0]]["()"] == (
        "config.log_redaction.RedactTokens")
    server = settings.LOGGING["loggers"]["django.server"]  # the request lines: through root
    assert server["propagate"] and settings.LOGGING["root"]["handlers"] == ["console"]


def test_gunicorns_access_log_and_djangos_lines_show_no_token(tmp_path):
    """The gunicorn configuration the Procfile and the README use, run for real."""
    port = free_port()
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "log-test-" + "x" * 50,
           "ALLOWED_HOSTS": "127.0.0.1", "SITE_URL": "https://paperboy.example.org",
           "SECURE_SSL_REDIRECT": "false", "PAPERBOY_VAR_DIR": str(tmp_path)}
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    site = f"http://127.0.0.1:{port}"
    try:
        def up():
            try:
                return httpx.get(f"{site}/help/filters/", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_until(up, seconds=60), "gunicorn never answered"
        referer = {"Referer": f"https://paperboy.example.org/manage/{TOKEN}/"}
        for path in [f"/manage/{TOKEN}/", f"/d/{TOKEN}/", f"/u/{TOKEN}/"]:
            assert httpx.get(site + path, headers=referer).status_code == 400
        time.sleep(0.5)
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    access = [line for line in out.splitlines() if '"GET /' in line]
    assert len(access) >= 4, out
    assert re.search(r'"GET /manage/<redacted>/ HTTP/1\.1" 400 .* '
                     r'"https://paperboy\.example\.org/manage/<redacted>/"', out), out
    assert '"GET /d/<redacted>/ HTTP/1.1" 400' in out
    assert "Bad Request: /u/<redacted>/" in err, err[-2000:]
    assert TOKEN not in out and TOKEN not in err
