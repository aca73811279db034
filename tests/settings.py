"""The settings the test suite runs on: the project's own (config/settings.py, read from the
environment as always) and what only tests need. pyproject.toml names this module to pytest;
the workers, servers and commands the tests start in other processes inherit it through
DJANGO_SETTINGS_MODULE and import it from the repository's root, their working directory
(the production-like stack runs config.settings itself)."""

from config.settings import *  # noqa: F403
from config.settings import DATABASES, VAR_DIR

# Operators are created in many tests, each hashing a password: a fast hasher, for tests only.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a Celery worker in another process sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-paperboy.sqlite3")}
