import os

import pytest
import redis as redis_lib

pytest_plugins = ["tests.delivery_fixtures", "tests.teams"]

# Tests that need a service skip on a developer's machine without it, but fail in CI,
# where a missing service means the run proved nothing.
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def service_missing(message: str):
    if IN_CI:
        pytest.fail(f"{message} (CI=true: services are required)")
    pytest.skip(message)


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis_lib.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis_lib.RedisError as error:
        service_missing(f"Redis is not reachable at {url}: {error}")
    return url


@pytest.fixture(autouse=True)
def outbox_dir(settings, tmp_path):
    """Mail written by the default backend lands in a fresh folder per test."""
    settings.OUTBOX_DIR = tmp_path / "outbox"
    return settings.OUTBOX_DIR


@pytest.fixture(autouse=True)
def commit_hooks_run_at_once(monkeypatch):
    """A test runs inside a transaction that never commits, so on_commit hooks (mail tasks
    queued with delay_on_commit) would never run; run them at once, as a commit would."""
    from django.db import connections

    for connection in connections.all():
        monkeypatch.setattr(connection, "on_commit",
                            lambda func, robust=False: func(), raising=False)


@pytest.fixture(autouse=True)
def fresh_rate_limits(request):
    """Rate-limit counters live in the cache (a database table without Redis); each test
    that may use the database starts with none."""
    from django.core.cache import cache

    if request.node.get_closest_marker("django_db"):
        cache.clear()
    elif "db" in request.fixturenames or "transactional_db" in request.fixturenames:
        # asked for by another fixture, which pytest sets up after this one: set it up first
        request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames
                                else "db")
        cache.clear()


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("operator", "ops@example.com", "pw-12345!")
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def fresh_learning_caches():
    """Each test builds its own papers, often in the same week as the last test's: the
    week's feature space and the rows a process keeps are the new world's."""
    from digest.learn.digests import learning_caches_clear

    learning_caches_clear()
