"""ESP webhooks with a payload Anymail cannot read get a 400 and a log line, not a 500."""

import logging

from django.http import HttpResponseBadRequest

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
        log.warning("malformed webhook payload at %s: %s: %s", request.path,
                    type(exception).__name__, exception)
        return HttpResponseBadRequest("Malformed webhook payload.")
