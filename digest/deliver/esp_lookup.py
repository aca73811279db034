"""Asking the ESP whether it already has a digest, before sending that digest again.

A send that timed out may have reached the ESP all the same (it took the message; its answer
came too late), and a worker killed mid-send leaves no record of how far it got. Sending again
would mail the reader twice, so such a digest is first looked up at the ESP by its delivery
key, which every digest carries as metadata. Postmark's outbound message search filters by
metadata; for an ESP without such a search the answer is "cannot tell" and the digest is sent
again (a possible duplicate, as before).
"""

import logging
from urllib.parse import urljoin

import requests
from anymail.backends.postmark import EmailBackend as PostmarkBackend

from config.logs import log_event

log = logging.getLogger(__name__)


class LookupFailed(Exception):
    """The ESP could not be asked now (network, 429, 5xx): try again later, do not send."""


def message_at_esp(connection, delivery_key: str) -> str | None:
    """The ESP's message id for this delivery's digest if the ESP has it; None when it has
    not, or when this ESP cannot be asked. `connection`: an open Anymail backend."""
    if not isinstance(connection, PostmarkBackend) or connection.session is None:
        return None
    try:
        response = connection.session.get(
            urljoin(connection.api_url, "messages/outbound"),
            params={"count": 1, "offset": 0, "metadata_delivery": delivery_key},
            headers={"Accept": "application/json",
                     "X-Postmark-Server-Token": connection.server_token},
            timeout=connection.timeout)
    except requests.RequestException as error:
        raise LookupFailed(f"asking the ESP failed: {type(error).__name__}") from error
    if response.status_code == 429 or response.status_code >= 500:
        raise LookupFailed(f"asking the ESP failed: HTTP {response.status_code}")
    if response.status_code != 200:  # e.g. a token without access: send, as without lookup
        log_event(log, logging.WARNING, "The ESP's message search refused; sending without "
                  "looking", status=response.status_code)
        return None
    try:
        messages = response.json().get("Messages") or []
        return str(messages[0]["MessageID"]) if messages else None
    except (ValueError, AttributeError, KeyError, TypeError, IndexError):
        log_event(log, logging.WARNING, "The ESP's message search answered something "
                  "unreadable; sending without looking")
        return None
