"""ESP webhooks with a payload Anymail cannot read get a 400 and a log line, not a 500."""

import logging

from django.http import HttpResponseBadRequest

from config.logs import log_event

log = logging.getLogger(__name__)
WEBHOOK_PREFIX = "/anymail/"


class MalformedWebhookMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path.startswith(WEBHOOK_PREFIX):
            return None
        log_event(log, logging.WARNING, "Refused a malformed webhook payload",
                  path=request.path, error=f"{type(exception).__name__}: {exception}")
        return HttpResponseBadRequest("Malformed webhook payload.")
