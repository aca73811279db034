"""Who is asking: the visitor's address and the keys rate limits count by."""

from django.conf import settings
from django.http import HttpRequest

from subscriptions.models import email_normalize


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the first address of the proxy header CLIENT_IP_META_KEY names."""
    value = request.META.get(settings.CLIENT_IP_META_KEY, "") or ""
    return value.split(",")[0].strip() or None


def ip_key(group: str, request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def address_key(group: str, request: HttpRequest) -> str:
    return email_normalize(request.POST.get("email", ""))[:254]
