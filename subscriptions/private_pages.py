"""Pages behind a signed link (confirm, manage, unsubscribe, a digest in the browser): the
token is in their address, so no cache keeps them and no Referer carries the address away.

Referrer-Policy is strict-origin, not no-referrer: under no-referrer browsers send
`Origin: null` with the pages' own form posts, which Django's CSRF check refuses; under
strict-origin a Referer is at most the site's origin, never a path with a token."""

from functools import wraps

from django.views.decorators.cache import never_cache

REFERRER_POLICY = "strict-origin"


def token_page(view):
    """Cache-Control: no-store (Django's never_cache) and Referrer-Policy: strict-origin on
    every answer of the view, refusals and redirects included."""

    @never_cache
    @wraps(view)
    def private(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = REFERRER_POLICY
        return response

    return private
