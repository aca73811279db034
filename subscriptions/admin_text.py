"""Long text in an admin list's column: on one line, cut at a length (and by the column's
width, admin/base_site.html), the whole text on hover (its title)."""

from django.utils.html import format_html

SHORT = 120  # characters a list column holds at most (its width may show fewer)


def shortened(text: str, *, length: int = SHORT) -> str:
    whole = " ".join(str(text).split())
    if not whole:
        return ""
    shown = whole if len(whole) <= length else whole[:length - 1].rstrip() + "…"
    return format_html('<span class="cut" title="{}">{}</span>', whole, shown)
