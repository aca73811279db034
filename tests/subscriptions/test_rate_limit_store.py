"""Without Redis the rate limits live in a database table, so every process serving the site
counts together (a per-process memory cache let each gunicorn worker count on its own)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import RequestFactory

from subscriptions.views import PER_IP, limited
from subscriptions.visitors import ip_key
from tests.workers import ROOT, database_url_for_worker

ASK = """
from django.test import RequestFactory
from subscriptions.views import PER_IP, limited
from subscriptions.visitors import ip_key
request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.7")
print(limited(request, group="signup-ip", key=ip_key, rate=PER_IP))
"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_visitor_counted_in_one_process_is_limited_in_another():
    assert settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache")
    request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.7")
    assert not any(limited(request, group="signup-ip", key=ip_key, rate=PER_IP)
                   for _ in range(20))
    environ = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    other = subprocess.run([sys.executable, "manage.py", "shell", "-c", ASK], cwd=ROOT,
                           env={**environ, "DATABASE_URL": database_url_for_worker()},
                           capture_output=True, text=True, timeout=120)
    assert other.returncode == 0, other.stderr
    assert other.stdout.strip().splitlines()[-1] == "True"
