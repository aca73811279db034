"""Helpers for the team tests: a team's mailed links as its members and address use them."""

import re

from subscriptions import tokens
from subscriptions.models import Subscriber

TEAM_LINK = re.compile(r"http://localhost:8000(/(?:join|team-confirm|team-u)/[^/\s\"]+/)")


def team_links_in(message) -> dict[str, str]:
    """The team paths a mail links to, by kind: join, team-confirm, team-u."""
    found = {}
    for path in TEAM_LINK.findall(message.body):
        found.setdefault(path.split("/")[1], path)
    return found


def teams_page(reader: Subscriber) -> str:
    """The reader's teams page, as the link on their manage page opens it."""
    return f"/manage/{tokens.token_make(subscriber=reader, purpose=tokens.MANAGE)}/teams/"


def team_data(**changes) -> dict:
    data = {"action": "create", "name": "Vision Lab", "address": "vision@lists.example.org",
            "members": "", "frequency": "daily", "send_hour": "9",
            "timezone": "Europe/Berlin", "papers_per_email": "12"}
    data.update(changes)
    return data
