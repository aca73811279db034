"""How long to wait before trying again: exponential backoff with jitter, and the wait a
server asks for (Retry-After, RateLimit). Pure: callers bring the clock and the dice, so
the sources' HTTP client, the ESP error handling and the send task share one rule.
"""

import math
import random as random_module
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

SECONDS = re.compile(r"\d+(?:\.\d+)?", re.ASCII)
RATELIMIT_PARAM = re.compile(r"(?:^|[;\s])(?P<key>r|t|remaining|reset)=(?P<value>\d+)", re.ASCII)


@dataclass(frozen=True)
class RetryPolicy:
    """How many tries, and the bounds of the waits between them, in seconds."""

    attempts: int = 5
    base: float = 1.0
    maximum: float = 300.0

    @property
    def longest_wait(self) -> float:
        """The most a caller can spend waiting on one request: every wait at the maximum."""
        return (self.attempts - 1) * self.maximum


def backoff_delay(attempt: int, *, base: float, maximum: float,
                  random: Callable[[], float] = random_module.random) -> float:
    """The wait before retry number `attempt` (1 = the first retry). "Equal jitter": a random
    point in the upper half of min(maximum, base * 2 ** (attempt - 1)), so waits grow
    exponentially up to the maximum, never shrink to nothing, and clients that failed
    together do not come back together."""
    ceiling = min(maximum, base * 2.0 ** min(max(attempt, 1) - 1, 64))
    return ceiling / 2 + random() * ceiling / 2


def retry_after_seconds(headers: Mapping[str, str], *, now: datetime) -> float | None:
    """Seconds the server asked us to wait, or None when it did not say (or said nonsense).

    Retry-After (RFC 9110): seconds, or an HTTP-date (a date past is 0). Without it, the IETF
    RateLimit headers: `RateLimit: "policy";r=0;t=42` (a list of policies: the longest wait
    among the exhausted ones), or the older drafts' `RateLimit: limit=9, remaining=0,
    reset=42` and `RateLimit-Reset: 42`."""
    lowered = {str(name).lower(): str(value).strip() for name, value in headers.items()}
    retry_after = lowered.get("retry-after", "")
    if retry_after:
        seconds = _seconds(retry_after)
        if seconds is not None:
            return seconds
        when = _http_date(retry_after)
        if when is not None:
            return max(0.0, (when - now).total_seconds())
    wait = _ratelimit_wait(lowered.get("ratelimit", ""))
    return wait if wait is not None else _seconds(lowered.get("ratelimit-reset", ""))


def _seconds(text: str) -> float | None:
    if not SECONDS.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _http_date(text: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # "-0000" means UTC too


def _ratelimit_wait(value: str) -> float | None:
    exhausted, waits = [], []
    # Draft 8+: one item per policy, comma-separated. Older drafts: limit, remaining and
    # reset as comma-separated members of one header: read those as one item.
    items = value.split(",") if ";" in value else [value]
    for item in items:
        params = {m["key"]: float(m["value"]) for m in RATELIMIT_PARAM.finditer(item)}
        wait = params.get("t", params.get("reset"))
        if wait is None:
            continue
        waits.append(wait)
        if params.get("r", params.get("remaining", 0)) == 0:
            exhausted.append(wait)
    return max(exhausted or waits) if waits else None
