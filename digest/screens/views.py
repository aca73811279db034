"""The live preview's answers, and a delivered digest in the browser (the papers pages are
in papers_pages)."""

import uuid

from csp.constants import NONE, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.core import signing
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_ratelimit.core import is_ratelimited

from digest.deliver.items import delivery_items
from digest.deliver.render import VIEW_SALT, Renderer, digest_for_browser
from digest.follow.updates import delivery_updates
from digest.models import Delivery
from digest.screens.live_preview import preview_for
from digest.teams.mail import team_digest_for_browser
from subscriptions.private_pages import token_page
from subscriptions.visitors import ip_key

PREVIEW_PER_IP = "60/m"


@require_GET
def preview(request):
    if is_ratelimited(request, group="preview", key=ip_key, rate=PREVIEW_PER_IP, method="GET",
                      increment=True):
        return JsonResponse({"error": "Too many previews; wait a minute."}, status=429)
    answer, status = preview_for(interests=request.GET.get("interests", "")[:5000],
                                 authors=request.GET.get("authors", "")[:3000],
                                 topic_slugs=request.GET.getlist("topics"))
    return JsonResponse(answer, status=status)


@token_page
# The mail's HTML: its CSS is inlined in style attributes and a <style> block, and no
# script ever runs in it.
@csp_replace({"style-src": [UNSAFE_INLINE], "script-src": [NONE]})
@require_GET
def digest_view(request, token: str):
    """A digest as its reader got it, from the signed link in the mail, without the
    reader's own links (a forwarded digest must not open their preferences)."""
    try:
        key = uuid.UUID(signing.Signer(salt=VIEW_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return render(request, "subscriptions/bad_link.html", {"reason": "invalid"}, status=400)
    delivery = Delivery.objects.select_related("subscriber", "team").filter(key=key).first()
    if delivery is None:
        return render(request, "subscriptions/bad_link.html", {"reason": "invalid"}, status=400)
    if delivery.team_id:  # a team's digest (digest.teams.mail)
        digest = team_digest_for_browser(team=delivery.team, edition=delivery.edition,
                                         items=delivery_items([delivery.pk])[delivery.pk],
                                         browser_url=request.build_absolute_uri(),
                                         frequency=delivery.frequency)
        return HttpResponse(digest.html)
    digest = digest_for_browser(renderer=Renderer(), subscriber=delivery.subscriber,
                                edition=delivery.edition,
                                items=delivery_items([delivery.pk])[delivery.pk],
                                browser_url=request.build_absolute_uri(),
                                frequency=delivery.frequency,
                                updates=delivery_updates([delivery.pk]).get(delivery.pk, []))
    return HttpResponse(digest.html)
