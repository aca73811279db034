"""How Paperboy's log records read, and how much of them a command shows.

A record is a sentence, then its details as key=value (`Sent a batch of digests: sent=3
failed=0`); with LOG_FORMAT=json the details are also fields of the JSON line.
"""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

# Django's --verbosity: 0 errors only, 1 (the default) warnings, 2 the log, 3 everything.
VERBOSITY_LEVELS = {0: logging.ERROR, 1: logging.WARNING, 2: logging.INFO, 3: logging.DEBUG}
HANDLER = "console"  # the handler settings.LOGGING writes through


def _shown(value) -> str:
    text = str(value)
    if isinstance(value, str) and (not text or any(c.isspace() or c in '="' for c in text)):
        return json.dumps(text, ensure_ascii=False)
    return text


def log_event(logger: logging.Logger, level: int, sentence: str, **details) -> None:
    """Log `sentence: key=value ...`, the details also as the record's extra fields."""
    text = " ".join(f"{key}={_shown(value)}" for key, value in details.items())
    message, args = ("%s: %s", (sentence, text)) if details else ("%s", (sentence,))
    logger.log(level, message, *args, extra=details, stacklevel=2)


@contextmanager
def logging_for_verbosity(verbosity: int) -> Iterator[None]:
    """Print the log at the level `verbosity` asks for while a command runs, then as before.
    Set on the handler, which every record reaches whatever its own logger's level is."""
    level = VERBOSITY_LEVELS.get(verbosity, logging.DEBUG)
    root = logging.getLogger()
    handlers = [handler for handler in root.handlers if handler.get_name() == HANDLER]
    saved = root.level, [handler.level for handler in handlers]
    for handler in handlers:
        handler.setLevel(level)
    if level < root.level:  # -v 3: debug records must be made at all
        root.setLevel(level)
    try:
        yield
    finally:
        root.setLevel(saved[0])
        for handler, handler_level in zip(handlers, saved[1], strict=True):
            handler.setLevel(handler_level)
