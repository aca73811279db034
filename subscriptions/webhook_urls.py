"""Anymail's webhook URLs (/anymail/<esp>/...), with one change to how they fail.

Anymail answers its own auth failures with a 400 and lets every other exception be a 500,
which ESPs retry. A payload Anymail cannot read (not JSON, or fields of the wrong type)
would also be a 500, retried for days: here it is a 400 and a log line. Anything that goes
wrong after the payload was read (a database error, a bug) stays a 500, so the event comes
again once it is fixed.
"""

import datetime
import logging

from anymail import urls as anymail_urls
from django.http import HttpResponseBadRequest
from django.urls import URLPattern

log = logging.getLogger(__name__)
class UnreadablePayload(Exception):
    pass


def event_check(event) -> None:
    """What the handler stores must be text (an event id may be a number), the time a time."""
    if not isinstance(event.event_id, str | int | None):
        raise UnreadablePayload(f"event_id is {type(event.event_id).__name__}")
    for name in ("recipient", "message_id", "description", "mta_response"):
        value = getattr(event, name, None)
        if not isinstance(value, str | None):
            raise UnreadablePayload(f"{name} is {type(value).__name__}")
    if not isinstance(event.timestamp, datetime.datetime | None):
        raise UnreadablePayload(f"timestamp is {type(event.timestamp).__name__}")


class ReadablePayloadOr400:
    """Mixed into each Anymail webhook view: unreadable payloads are 400s."""

    def parse_events(self, request):
        try:
            events = super().parse_events(request)
        except (ValueError, TypeError, LookupError, AttributeError) as error:
            raise UnreadablePayload(f"{type(error).__name__}: {error}") from error
        for event in events:
            event_check(event)
        return events

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except UnreadablePayload as error:
            log.warning("unreadable webhook payload at %s: %s", request.path, error)
            return HttpResponseBadRequest("Unreadable webhook payload.")


def _readable(pattern: URLPattern) -> URLPattern:
    view = pattern.callback.view_class
    strict = type(view.__name__, (ReadablePayloadOr400, view), {})
    return URLPattern(pattern.pattern, strict.as_view(**pattern.callback.view_initkwargs),
                      pattern.default_args, pattern.name)


app_name = anymail_urls.app_name
urlpatterns = [_readable(pattern) for pattern in anymail_urls.urlpatterns]
