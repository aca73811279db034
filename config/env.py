"""Small readers for settings from the environment.

Each one fails loudly with ImproperlyConfigured naming the variable and the bad
value, so a typo in production stops the process at start-up instead of
changing behaviour silently.
"""

import os
import zoneinfo
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def _raw(name: str, environ) -> str | None:
    value = (environ if environ is not None else os.environ).get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str | None = None, *, environ=None) -> str | None:
    value = _raw(name, environ)
    return default if value is None else value


def env_bool(name: str, default: bool, *, environ=None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no), got {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None,
            environ=None) -> int:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        bounds = (f"between {minimum} and {maximum}" if minimum is not None and maximum is not None
                  else f"at least {minimum}" if minimum is not None else f"at most {maximum}")
        raise ImproperlyConfigured(f"{name} must be {bounds}, got {number}")
    return number


def env_choice(name: str, default: str, *, choices: tuple[str, ...], environ=None) -> str:
    """One of `choices`, read case-insensitively (they are given in the case returned)."""
    value = _raw(name, environ)
    if value is None:
        return default
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")


def env_timezone(name: str, default: str, *, environ=None) -> str:
    """A time zone name zoneinfo knows (Europe/Paris, UTC)."""
    value = env_str(name, default, environ=environ)
    if value not in zoneinfo.available_timezones():
        raise ImproperlyConfigured(f"{name} must be a time zone name such as Europe/Paris, "
                                   f"got {value!r}")
    return value


def env_list(name: str, default: list[str], *, environ=None) -> list[str]:
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name: str, default: str | None, *, schemes: tuple[str, ...],
            environ=None) -> str | None:
    """A URL whose scheme is one of `schemes`, returned without a trailing slash."""
    value = env_str(name, default, environ=environ)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise ImproperlyConfigured(
            f"{name} must be a {' or '.join(schemes)} URL, got {value!r}"
        )
    return value.rstrip("/")


def env_prefixed(prefix: str, *, environ=None) -> dict[str, str]:
    """Every variable named PREFIX_X, as {"X": value}: how ESP keys reach ANYMAIL."""
    source = environ if environ is not None else os.environ
    return {
        key[len(prefix):]: value
        for key, value in source.items()
        if key.startswith(prefix) and value.strip()
    }
