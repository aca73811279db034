"""The embedded default mail backend: every message becomes files in OUTBOX_DIR.

`NAME.eml` is the whole message as an ESP would receive it (open it in any mail
client); `NAME.html` is its HTML part, to open in a browser.
"""

import re
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


def _file_stem(message) -> str:
    recipient = message.to[0] if message.to else "no-recipient"
    safe = re.sub(r"[^A-Za-z0-9.@_-]+", "_", recipient)[:80]
    return f"{timezone.now():%Y%m%d-%H%M%S}-{safe}-{uuid.uuid4().hex[:8]}"


def html_part(message) -> str | None:
    if getattr(message, "content_subtype", None) == "html":
        return message.body
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            return content
    return None


class OutboxEmailBackend(BaseEmailBackend):
    def __init__(self, *args, outbox_dir=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.outbox_dir = Path(outbox_dir or settings.OUTBOX_DIR)

    def send_messages(self, email_messages) -> int:
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            stem = str(self.outbox_dir / _file_stem(message))
            Path(stem + ".eml").write_bytes(message.message().as_bytes(linesep="\n"))
            html = html_part(message)
            if html is not None:
                Path(stem + ".html").write_text(html, encoding="utf-8")
            sent += 1
        return sent
