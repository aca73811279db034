"""A team's digest as mailed (placeholder until the digest's new card design lands)."""

from datetime import date

from digest.deliver.render import Digest, Renderer
from digest.models import Paper
from subscriptions.models import Team
from subscriptions.teams.links import unsubscribe_link


def team_digest_for(*, renderer: Renderer, team: Team, edition: date,
                    items: list[tuple[Paper, list[dict]]], browser_url: str
                    ) -> tuple[Digest, dict]:
    links = {"unsubscribe_url": unsubscribe_link(team), "manage_url": browser_url,
             "browser_url": browser_url}
    reasons = [[reason for entry in matched for reason in entry["why"]] for _, matched in items]
    return renderer.digest(edition=edition, email=team.address, links=links,
                           items=[(paper, why) for (paper, _), why in zip(items, reasons,
                                                                          strict=True)]), links


def team_digest_for_browser(*, renderer: Renderer, team: Team, edition: date,
                            items: list[tuple[Paper, list[dict]]], browser_url: str) -> Digest:
    from django.conf import settings
    from django.urls import reverse
    links = {"browser_url": browser_url,
             "link_request_url": settings.SITE_URL + reverse("subscriptions:link")}
    reasons = [[reason for entry in matched for reason in entry["why"]] for _, matched in items]
    return renderer.digest(edition=edition, email=team.address, links=links, kind="web",
                           items=[(paper, why) for (paper, _), why in zip(items, reasons,
                                                                          strict=True)])
