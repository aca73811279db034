"""Settings come from the environment and a bad value stops start-up with one clear line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_int, env_list, env_prefixed, env_url

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environ,
        capture_output=True, text=True, timeout=120,
    )


def test_it_reads_booleans_in_the_usual_spellings():
    assert env_bool("X", False, environ={"X": "yes"}) is True
    assert env_bool("X", True, environ={"X": "0"}) is False
    assert env_bool("X", True, environ={}) is True


def test_it_rejects_a_boolean_it_cannot_read():
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be true or false.*'maybe'"):
        env_bool("DEBUG", False, environ={"DEBUG": "maybe"})


def test_it_rejects_numbers_out_of_range_or_not_numbers():
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("N", 1, environ={"N": "ten"})
    with pytest.raises(ImproperlyConfigured, match="between 0 and 23"):
        env_int("N", 1, minimum=0, maximum=23, environ={"N": "24"})
    assert env_int("N", 1, environ={"N": " 7 "}) == 7


def test_it_reads_a_choice_in_any_case_and_refuses_others():
    assert env_choice("F", "text", choices=("text", "json"), environ={"F": " JSON "}) == "json"
    assert env_choice("F", "text", choices=("text", "json"), environ={}) == "text"
    with pytest.raises(ImproperlyConfigured, match="F must be one of text, json, got 'xml'"):
        env_choice("F", "text", choices=("text", "json"), environ={"F": "xml"})


def test_it_splits_lists_and_drops_blanks():
    assert env_list("HOSTS", [], environ={"HOSTS": "a.org, b.org,,"}) == ["a.org", "b.org"]


def test_it_rejects_a_url_with_the_wrong_scheme_and_trims_the_slash():
    with pytest.raises(ImproperlyConfigured, match="SITE_URL must be a http or https URL"):
        env_url("SITE_URL", None, schemes=("http", "https"), environ={"SITE_URL": "example.org"})
    assert env_url("S", None, schemes=("https",), environ={"S": "https://a.org/"}) == "https://a.org"


def test_anymail_settings_come_from_prefixed_variables():
    environ = {"ANYMAIL_POSTMARK_SERVER_TOKEN": "abc", "ANYMAIL_WEBHOOK_SECRET": "u:p",
               "OTHER": "x"}
    assert env_prefixed("ANYMAIL_", environ=environ) == {
        "POSTMARK_SERVER_TOKEN": "abc", "WEBHOOK_SECRET": "u:p"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be true or false"),
        ({"DEBUG": "false"}, "SECRET_KEY must be set when DEBUG is false"),
        ({"DATABASE_URL": "nosuchdb://x/y"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://localhost:6379"}, "REDIS_URL must be a redis"),
        ({"SECURE_HSTS_SECONDS": "-5"}, "SECURE_HSTS_SECONDS must be at least 0, got -5"),
        ({"ANYMAIL_REQUESTS_TIMEOUT": "soon"}, "ANYMAIL_REQUESTS_TIMEOUT must be a number"),
        ({"SOFT_BOUNCE_LIMIT": "three"}, "SOFT_BOUNCE_LIMIT must be a whole number"),
        ({"SOFT_BOUNCE_WINDOW_DAYS": "0"}, "SOFT_BOUNCE_WINDOW_DAYS must be at least 1"),
        ({"BUILD_SHARD_READERS": "0"}, "BUILD_SHARD_READERS must be at least 1, got 0"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be one of text, json, got 'xml'"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL must be one of DEBUG, INFO, WARNING"),
        ({"TRUSTED_PROXY_COUNT": "one"}, "TRUSTED_PROXY_COUNT must be a whole number"),
        ({"TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE must be a time zone name such as Europe/Paris"),
        ({"CLIENT_IP_META_KEY": "HTTP_X_FORWARDED_FOR"}, "set TRUSTED_PROXY_COUNT"),
    ],
)
def test_manage_py_stops_with_one_line_on_a_bad_setting(env, message):
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_deploy_check_is_clean_with_production_variables():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="false",
        SECRET_KEY="x7!k2@production-grade-secret-key-with-enough-entropy-9f3a1c0d5e",
        ALLOWED_HOSTS="paperboy.example.org",
        SITE_URL="https://paperboy.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
