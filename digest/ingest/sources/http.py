"""GET with bounded retries, shared by the sources.

5xx, 429 and transport errors are retried with exponential backoff and jitter, never sooner
than the server asks (Retry-After, RateLimit headers); a server asking for a longer wait than
the policy allows fails the request at once. Any other 4xx is a SourceError at once.
"""

import random as random_module
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from digest.backoff import RetryPolicy, backoff_delay, retry_after_seconds
from digest.ingest.sources.records import SourceError, SourceUnavailable

# HF's rate-limit window is 5 minutes: never wait longer than one window.
DEFAULT_RETRIES = RetryPolicy(attempts=5, base=1.0, maximum=300.0)


def build_client(*, site_url: str, timeout: float = 30.0, max_connections: int = 4) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=10.0),
        headers={"User-Agent": f"Paperboy/0.1 (+{site_url})"},
        limits=httpx.Limits(max_connections=max_connections),
        follow_redirects=True,
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


def get_with_retries(
    client: httpx.Client,
    url: str,
    *,
    params: dict | None = None,
    retries: RetryPolicy = DEFAULT_RETRIES,
    sleep: Callable[[float], None] = time.sleep,
    random: Callable[[], float] = random_module.random,
    now: Callable[[], datetime] = utc_now,
) -> httpx.Response:
    problem = ""
    for attempt in range(1, retries.attempts + 1):
        asked = None
        try:
            response = client.get(url, params=params)
        except httpx.TransportError as error:
            detail = " ".join(str(error).split())
            problem = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
        else:
            if response.status_code == 429 or response.status_code >= 500:
                problem = f"{response.status_code} {response.reason_phrase}"
                asked = retry_after_seconds(response.headers, now=now())
            elif response.status_code >= 400:
                detail = clean_body(response.text)
                raise SourceError(f"{response.url} answered {response.status_code}{detail}")
            else:
                return response
        if attempt == retries.attempts:
            break
        if asked is not None and asked > retries.maximum:
            raise SourceUnavailable(f"{url} answered {problem} and asked to wait {asked:.0f} s, "
                                    f"longer than the {retries.maximum:.0f} s allowed")
        delay = backoff_delay(attempt, base=retries.base, maximum=retries.maximum, random=random)
        sleep(max(delay, asked or 0.0))
    raise SourceUnavailable(f"{url} failed {retries.attempts} times, last: {problem}")


def clean_body(text: str) -> str:
    text = " ".join(text.split())[:200]
    return f": {text}" if text else ""
