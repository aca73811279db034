"""GET with bounded retries, shared by the sources.

429 waits as the server asks (Retry-After, RateLimit headers); 5xx and transport
errors back off exponentially; any other 4xx is a SourceError at once.
"""

import re
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import httpx

from digest.sources.records import SourceError, SourceUnavailable

MAX_ATTEMPTS = 5
BASE_DELAY = 1.0
MAX_DELAY = 300.0  # HF's window is 5 minutes: never wait longer than one window


def build_client(*, site_url: str, timeout: float = 30.0, max_connections: int = 4) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=10.0),
        headers={"User-Agent": f"Paperboy/0.1 (+{site_url})"},
        limits=httpx.Limits(max_connections=max_connections),
        follow_redirects=True,
    )


def wait_requested(response: httpx.Response) -> float | None:
    """Seconds the server asked us to wait, from Retry-After or the RateLimit headers."""
    retry_after = response.headers.get("Retry-After", "").strip()
    if retry_after.isascii() and retry_after.isdigit():
        return float(retry_after)
    if retry_after:
        try:
            when = parsedate_to_datetime(retry_after)
            return max(0.0, when.timestamp() - time.time())
        except (TypeError, ValueError):
            pass
    # IETF draft: `RateLimit: "api";r=0;t=42`, or the older `RateLimit-Reset: 42`.
    match = re.search(r"\bt=(\d+)", response.headers.get("RateLimit", ""))
    if match:
        return float(match.group(1))
    reset = response.headers.get("RateLimit-Reset", "").strip()
    return float(reset) if reset.isascii() and reset.isdigit() else None


def get_with_retries(
    client: httpx.Client,
    url: str,
    *,
    params: dict | None = None,
    attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Response:
    problem = ""
    for attempt in range(1, attempts + 1):
        delay = min(MAX_DELAY, BASE_DELAY * 2 ** (attempt - 1))
        try:
            response = client.get(url, params=params)
        except httpx.TransportError as error:
            problem = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        else:
            if response.status_code == 429:
                problem = "429 Too Many Requests"
                delay = min(MAX_DELAY, wait_requested(response) or delay)
            elif response.status_code >= 500:
                problem = f"{response.status_code} {response.reason_phrase}"
            elif response.status_code >= 400:
                detail = clean_body(response.text)
                raise SourceError(f"{response.url} answered {response.status_code}{detail}")
            else:
                return response
        if attempt < attempts:
            sleep(delay)
    raise SourceUnavailable(f"{url} failed {attempts} times, last: {problem}")


def clean_body(text: str) -> str:
    text = " ".join(text.split())[:200]
    return f": {text}" if text else ""
