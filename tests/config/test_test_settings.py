"""The suite runs on tests/settings.py, and so do the processes it starts: a worker or a
server started at the repository's root imports the same module."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from tests.workers import ROOT

MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.mark.django_db
def test_the_suite_runs_on_the_test_settings():
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "tests.settings"
    assert settings.PASSWORD_HASHERS == [MD5]
    if connection.vendor == "sqlite":  # a file a worker in another process can open
        assert connection.settings_dict["NAME"].endswith("test-paperboy.sqlite3")


def test_a_process_started_at_the_root_gets_the_test_settings():
    shown = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import "
         "settings; print(settings.SETTINGS_MODULE, settings.PASSWORD_HASHERS[0])"],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == ["tests.settings", MD5]
