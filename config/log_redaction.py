"""Signed links stay out of logs: the token segment of a page behind a signed link is
replaced, wherever the path appears (a request line, a Referer, a log message).

Used by Django's logging (settings.LOGGING) and gunicorn's access log (config/access_log.py).
"""

import logging
import re

# The first segment of every URL whose next segment is a token (config/urls.py and
# subscriptions/urls.py; a test checks that no token route is missing). The public feeds'
# paths, under feeds/ too, are redacted with the private ones.
TOKEN_ROUTES = ("confirm", "manage", "u", "d", "v", "feeds", "join", "team-confirm", "team-u")
REDACTED = "<redacted>"
# Anywhere in the text, so a Referer's https://host/manage/... and a prefixed mount are
# covered too; redacting a look-alike path elsewhere costs nothing.
_TOKEN_PATH = re.compile(rf"(/(?:{'|'.join(TOKEN_ROUTES)})/)[^/\s?#\"']+")


def text_redact(text: str) -> str:
    return _TOKEN_PATH.sub(rf"\g<1>{REDACTED}", text)


class RedactTokens(logging.Filter):
    """Rewrites a record's message with its tokens redacted, before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = text_redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
