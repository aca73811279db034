"""Helpers for tests of the reader's pages: mail links and forms as a reader would use them."""

import re

from django.core import mail

LINK = re.compile(r"http://localhost:8000(/(?:confirm|manage|u)/[^/\s\"]+/)")


def links_in(message) -> dict[str, str]:
    """The site paths a mail links to, by kind: confirm, manage, u."""
    found = {}
    for path in LINK.findall(message.body):
        found.setdefault(path.split("/")[1], path)
    return found


def last_mail_to(address: str):
    sent = [m for m in mail.outbox if m.to == [address]]
    assert sent, f"no mail to {address}; outbox: {[(m.to, m.subject) for m in mail.outbox]}"
    return sent[-1]


def signup_data(email: str, **changes) -> dict:
    data = {
        "email": email, "interests": 'sparse autoencoder\n"language model" -robotics',
        "authors": "Yann LeCun", "frequency": "daily", "send_hour": "7",
        "timezone": "Europe/Paris", "papers_per_email": "10", "min_upvotes": "0",
        "topics": ["interpretability"], "website": "",
    }
    data.update(changes)
    return data


def tamper(token: str) -> str:
    """The token with its last character changed (always to a different one)."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")
