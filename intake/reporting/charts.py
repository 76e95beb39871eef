"""Bar and line charts as inline SVG, drawn here rather than with a plotting library.

A report needs two kinds of chart and must print crisply on A4 and read well with a screen
reader; a few lines of SVG do that without a hundred megabytes of matplotlib. Every chart has a
<title> and a <desc> (``role="img"``, labelled by both), writes its values as text beside the
bars or points, never relies on colour alone (series differ in dash and marker too, and a legend
names them), and is always printed next to the table it was drawn from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 420                 # fits beside its table on A4 portrait at close to full size
FONT = 'font-family="Arial, Helvetica, sans-serif" font-size="12"'
CHAR_WIDTH = 6.6            # an average character at 12px, for laying out labels
TEXT_COLOUR = "#212b32"     # NHS.UK text colour
AXIS_COLOUR = "#768692"
# NHS blue, purple and dark green: each at least 3:1 against white, and told apart by more than
# colour (dash patterns and markers on lines, legend order on bars).
PALETTE = ("#005eb8", "#330072", "#007f3b")
DASHES = ("", "6 4", "2 3")
MARKERS = ("circle", "square", "diamond")
LONGEST_LABEL_WIDTH = 170
MOST_POINT_LABELS = 14      # beyond this a line chart's values are left to its table


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    percent: bool = False


def show_value(value: float, percent: bool) -> str:
    if percent:
        return f"{value:.1f}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _fit(label: str, chars: int) -> str:
    return label if len(label) <= chars else label[: max(chars - 1, 1)].rstrip() + "…"


def _summary(labels: Sequence[str], series: Sequence[Series], most: int = 12) -> str:
    parts = []
    for index, label in enumerate(labels[:most]):
        values = ", ".join(f"{s.name} {show_value(s.values[index], s.percent)}" if len(series) > 1
                           else show_value(s.values[index], s.percent) for s in series)
        parts.append(f"{label}: {values}")
    if len(labels) > most:
        parts.append(f"and {len(labels) - most} more, listed in the table")
    return "; ".join(parts) + "."


def _open(chart_id: str, title: str, description: str, height: float) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-svg" role="img" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" {FONT} fill="{TEXT_COLOUR}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


def _legend_height(series: Sequence[Series]) -> int:
    return 18 * len(series) + 6 if len(series) > 1 else 0


def _legend(series: Sequence[Series], lines: bool) -> list[str]:
    """One row per series, at the top: its swatch (or line and marker) and its name."""
    parts = []
    for index, one in enumerate(series):
        colour, y = PALETTE[index % len(PALETTE)], 14 + 18 * index
        if lines:
            parts.append(f'<line x1="0" y1="{y - 4}" x2="22" y2="{y - 4}" stroke="{colour}" '
                         f'stroke-width="2.5" stroke-dasharray="{DASHES[index % len(DASHES)]}"/>')
            parts.append(_marker(index, 11, y - 4, colour))
        else:
            parts.append(f'<rect x="5" y="{y - 10}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="28" y="{y}">{escape(one.name)}</text>')
    return parts


def bar_chart(chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series],
              colours: dict[str, str] | None = None) -> str:
    """Horizontal bars, one group per label and one bar per series, each with its value written
    at its end. Long labels wrap onto a second line. ``colours`` gives a label its own colour
    (ratings: red, amber, green)."""
    bar, gap, group_gap, line_height = 16, 2, 10, 13
    legend = _legend_height(series)
    longest = max((len(label) for label in labels), default=0)
    # Capitals are wider than the average letter: a little room to spare, and never too narrow.
    label_width = min(max(longest * CHAR_WIDTH + 20, 48), LONGEST_LABEL_WIDTH)
    wrapped = [wrap(label, round((label_width - 20) / CHAR_WIDTH) or 1) for label in labels]
    plot = WIDTH - label_width - 52           # room for the value after the longest bar
    bars = len(series) * bar + (len(series) - 1) * gap
    groups = [max(bars, len(lines) * line_height + 2) for lines in wrapped]
    height = legend + sum(groups) + group_gap * (len(labels) + 1)
    top = max((v for s in series for v in s.values), default=0) or 1
    parts = _open(chart_id, title, "Bar chart. " + _summary(labels, series), height)
    if legend:
        parts += _legend(series, lines=False)
    y = legend + group_gap
    for index, label in enumerate(labels):
        group, lines = groups[index], wrapped[index]
        first_line = y + group / 2 - (len(lines) - 1) * line_height / 2 + 4
        spans = "".join(f'<tspan x="{label_width - 8:.0f}" y="{first_line + n * line_height:.1f}">'
                        f"{escape(line)}</tspan>" for n, line in enumerate(lines))
        parts.append(f'<text text-anchor="end">{spans}</text>')
        bars_top = y + (group - bars) / 2
        for number, one in enumerate(series):
            value = one.values[index]
            length = max(value / top * plot, 0)
            colour = (colours or {}).get(label) or PALETTE[number % len(PALETTE)]
            top_y = bars_top + number * (bar + gap)
            shown = show_value(value, one.percent)
            parts.append(f'<rect x="{label_width:.0f}" y="{top_y:.1f}" width="{length:.1f}" '
                         f'height="{bar}" fill="{colour}"><title>{escape(label)}'
                         f'{": " + escape(one.name) if len(series) > 1 else ""}: {shown}</title></rect>')
            parts.append(f'<text x="{label_width + length + 4:.1f}" y="{top_y + bar - 4:.1f}">'
                         f'{shown}</text>')
        y += group + group_gap
    parts.append(f'<line x1="{label_width:.0f}" y1="{legend + 4}" x2="{label_width:.0f}" '
                 f'y2="{height - 4:.0f}" stroke="{AXIS_COLOUR}"/>')
    parts.append("</svg>")
    return "\n".join(parts)


def wrap(label: str, chars: int, most_lines: int = 3) -> list[str]:
    """A label in lines of at most ``chars`` characters, broken between words; what does not fit
    in ``most_lines`` ends with an ellipsis (the full label is in the table beside the chart)."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > most_lines:
        lines = [*lines[: most_lines - 1], _fit(" ".join(lines[most_lines - 1:]), chars)]
    return [_fit(line, chars) for line in lines] or [""]


def nice_ceiling(value: float) -> tuple[float, float]:
    """An axis top at or above ``value`` and a tick step, both round numbers (1, 2 or 5 × 10ⁿ)."""
    if value <= 0:
        return 1.0, 1.0
    rough = value / 4
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    if step < 1 and value >= 1:
        step = 1.0
    return math.ceil(value / step) * step, step


def _marker(index: int, x: float, y: float, colour: str) -> str:
    shape = MARKERS[index % len(MARKERS)]
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'
    if shape == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    return (f'<path d="M{x:.1f} {y - 4.5:.1f} L{x + 4.5:.1f} {y:.1f} L{x:.1f} {y + 4.5:.1f} '
            f'L{x - 4.5:.1f} {y:.1f} Z" fill="{colour}"/>')


def line_chart(chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """One line per series over ``labels`` (weeks or months), with a labelled value axis; values
    are written above the points of the first series while there are few enough to read."""
    legend = _legend_height(series)
    left, right, top_margin, bottom = 40, 20, 18 + legend, 34
    height = 240 + legend
    plot_width, plot_height = WIDTH - left - right, height - top_margin - bottom
    ceiling, step = nice_ceiling(max((v for s in series for v in s.values), default=0))
    description = "Line chart. " + _summary(labels, series)
    parts = _open(chart_id, title, description, height)
    if legend:
        parts += _legend(series, lines=True)

    def x_at(i: int) -> float:
        return left + (plot_width / 2 if len(labels) == 1 else i * plot_width / (len(labels) - 1))

    def y_at(value: float) -> float:
        return top_margin + plot_height - value / ceiling * plot_height

    tick = 0.0
    while tick <= ceiling + step / 1000:
        y = y_at(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" '
                     f'stroke="#d8dde0"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{show_value(tick, series[0].percent if series else False)}</text>')
        tick += step
    every = max(1, math.ceil(len(labels) / 8))
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(f'<text x="{x_at(i):.1f}" y="{height - bottom + 18:.0f}" '
                         f'text-anchor="middle">{escape(label)}</text>')
    for number, one in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        points = " ".join(f"{x_at(i):.1f},{y_at(v):.1f}" for i, v in enumerate(one.values))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5" '
                     f'stroke-dasharray="{DASHES[number % len(DASHES)]}"/>')
        for i, value in enumerate(one.values):
            parts.append(f'<g><title>{escape(labels[i])}: {escape(one.name)} '
                         f'{show_value(value, one.percent)}</title>'
                         f'{_marker(number, x_at(i), y_at(value), colour)}</g>')
            if number == 0 and len(labels) <= MOST_POINT_LABELS:
                parts.append(f'<text x="{x_at(i):.1f}" y="{y_at(value) - 8:.1f}" text-anchor="middle">'
                             f'{show_value(value, one.percent)}</text>')
    parts.append(f'<line x1="{left}" y1="{top_margin + plot_height:.1f}" x2="{WIDTH - right}" '
                 f'y2="{top_margin + plot_height:.1f}" stroke="{AXIS_COLOUR}"/>')
    parts.append("</svg>")
    return "\n".join(parts)
