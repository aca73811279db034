"""The reader-facing guide to the filter language: docs/filters.md, shown at /help/filters/."""

from functools import cache

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

FILTER_GUIDE = settings.BASE_DIR / "docs" / "filters.md"


@cache  # rendered once per process: the file changes only with a deploy
def filter_help_html() -> SafeString:
    """The guide as HTML. It is our own file, never a visitor's text, so it is shown as
    rendered; Markdown only, any raw HTML in it would be escaped."""
    markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
    return mark_safe(markdown.render(FILTER_GUIDE.read_text(encoding="utf-8")))
