"""The dashboard's charts, drawn on the server as SVG (no script, no library): a bar a day,
the series stacked, a y axis with its scale, the dates under the x axis, and each day's
values on hover. The series' colours are classes (series-0, series-1...) that the page's
legend uses too."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 330, 140
LEFT, RIGHT, TOP, BOTTOM = 30, 16, 8, 20  # room for the axes' labels
LABEL_EVERY = 7  # days between dates under the x axis, counted back from the last day


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]  # one a day


def nice_top(peak: int) -> int:
    """The y axis's top: the smallest 2, 4, 6 or 8 times a power of ten at or above the peak
    (even, so the middle mark is a whole number)."""
    scale = 1
    while True:
        for step in (2, 4, 6, 8):
            if step * scale >= peak:
                return step * scale
        scale *= 10


def day_label(day: date) -> str:
    return f"{day.day} {day:%b}"


def stacked_bars(series: list[Series], *, first_day: date, label: str) -> SafeString:
    days = len(series[0].values) if series else 0
    totals = [sum(one.values[i] for one in series) for i in range(days)]
    top = nice_top(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bottom, step = TOP + plot_h, plot_w / max(days, 1)

    def y(value: float) -> float:
        return bottom - value / top * plot_h

    parts = [f'<svg class="chart" role="img" aria-label="{escape(label)}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}">']
    for value in (0, top // 2, top):  # the y axis: its scale, and a line across at each mark
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
                     f'y2="{y(value):.1f}"/><text class="axis" x="{LEFT - 4}" '
                     f'y="{y(value) + 4:.1f}" text-anchor="end">{value:,}</text>')
    for i in range(days):
        x, base = LEFT + i * step, 0
        for index, one in enumerate(series):
            value = one.values[i]
            if value:
                parts.append(f'<rect class="series-{index}" x="{x + step * 0.12:.1f}" '
                             f'y="{y(base + value):.1f}" width="{step * 0.76:.1f}" '
                             f'height="{value / top * plot_h:.1f}"/>')
            base += value
        day = first_day + timedelta(days=i)
        told = ", ".join(f"{one.values[i]:,} {one.name.lower()}" for one in series)
        # The whole column, transparent: hovering anywhere over a day shows its values.
        parts.append(f'<rect class="day" x="{x:.1f}" y="{TOP}" width="{step:.1f}" '
                     f'height="{plot_h}"><title>{escape(f"{day:%a} {day_label(day)}: {told}")}'
                     f"</title></rect>")
    parts.append(f'<line class="axis-line" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" '
                 f'y2="{bottom}"/>')
    for i in range(days - 1, -1, -LABEL_EVERY):  # dates, back from the last day
        parts.append(f'<text class="axis" x="{LEFT + (i + 0.5) * step:.1f}" y="{HEIGHT - 6}" '
                     f'text-anchor="middle">{day_label(first_day + timedelta(days=i))}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # numbers of ours; every text escaped above
