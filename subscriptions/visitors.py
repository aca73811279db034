"""Who is asking: the visitor's address and the keys rate limits count by.

`client_ip` is the one answer to "which address is this request from", used by the rate
limits, the consent record and django-axes (settings.AXES_CLIENT_IP_CALLABLE).
"""

from types import SimpleNamespace

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip

from subscriptions.models import email_normalize

FORWARDED = "HTTP_X_FORWARDED_FOR"


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's address, validated and normalized, or None when there is none to trust.

    TRUSTED_PROXY_COUNT = 0: the connection's address (REMOTE_ADDR). N > 0: each of the N
    proxies appends the address it received from to X-Forwarded-For, so the visitor's is the
    N-th entry from the right; everything left of it was written by the client. Only those N
    entries are handed to django-ipware (which parses and validates them, strictly): split
    here on every comma, so no quote or junk the client wrote can merge with them.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count == 0:
        header, value = "REMOTE_ADDR", request.META.get("REMOTE_ADDR") or ""
    else:
        header, entries = FORWARDED, (request.META.get(FORWARDED) or "").split(",")
        if len(entries) < count:
            return None
        value = ",".join(entries[-count:])
    address, _ = get_client_ip(SimpleNamespace(META={header: value}),
                               proxy_count=count - 1 if count else 0,
                               request_header_order=[header], strict=True)
    # An IPv6 zone (fe80::1%eth0) names the proxy's network interface: no database stores it.
    return address.partition("%")[0] if address else None


def ip_key(group: str, request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def address_key(group: str, request: HttpRequest) -> str:
    return email_normalize(request.POST.get("email", ""))[:254]
