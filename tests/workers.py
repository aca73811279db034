"""A real Celery worker in its own process, on Redis, against the test database; and what
other tests that start processes need (the repository's root, a free port, waiting)."""

import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from celery import Celery
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url_for_worker() -> str:
    """The URL of the database this test runs on (the test database, not the main one)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@contextmanager
def celery_worker(redis_url: str, **environment):
    """Yields (send_task, log): a function that queues a task by name for this worker, and
    a list that holds the worker's output once it has stopped."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": database_url_for_worker(), "REDIS_URL": redis_url,
           "CELERY_QUEUE": queue, **environment}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "--queues", queue, "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    producer = Celery(broker=redis_url)
    log: list[str] = []
    try:
        yield (lambda name, *args: producer.send_task(name, args=list(args), queue=queue)), log
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
        log.append(output)
