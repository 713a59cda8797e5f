"""Server-rendered charts: inline SVG with no script and no inline style (CSP-clean), a
title and description for screen readers and the same figures as a table beside it.

    chart = bar_chart(_("Won per month"), labels, [Series(_("Won"), values)],
                      description=_("…"), value_text=amount_text)
    {{ chart }}   in a template renders the <figure>

Right-to-left pages get a mirrored chart (first label on the right, axis on the right);
numbers are written by `value_text` (the caller's units, Persian digits) and the axis by
`compact_number`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count
from typing import Literal

from django.utils.formats import number_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _

from peyvand.core.text import to_persian_digits

Kind = Literal["bar", "stacked", "line"]
Number = float | int | Decimal

# Colour-blind-safe palette (Okabe–Ito), dark enough for text contrast on white.
PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7a7a00", "#000000"]
WIDTH, HEIGHT = 640, 260
TOP, BOTTOM, AXIS, EDGE = 16, 44, 64, 12
# Gridlines per nice axis maximum, so each step is itself a round number.
TICKS = {1.0: 5, 2.0: 4, 2.5: 5, 5.0: 5, 10.0: 5}
# At most this many labels under the axis; the table has them all.
MAX_LABELS = 8

_ids = count(1)


def _fa() -> bool:
    return (get_language() or "en").startswith("fa")


def compact_number(value: Number) -> str:
    """12 500 000 → "12.5M" / "۱۲٫۵ میلیون": short enough for an axis."""
    number = float(value)
    units = (
        [(1e12, "هزار میلیارد"), (1e9, "میلیارد"), (1e6, "میلیون"), (1e3, "هزار")]
        if _fa()
        else [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")]
    )
    for size, unit in units:
        if abs(number) >= size:
            scaled = number_format(round(number / size, 1), 1 if number % size else 0)
            text = f"{scaled} {unit}" if _fa() else f"{scaled}{unit}"
            return to_persian_digits(text) if _fa() else text
    text = number_format(round(number, 1), 0 if number == int(number) else 1)
    return to_persian_digits(text) if _fa() else text


def _nice_ceiling(value: float) -> tuple[float, int]:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above `value` (axis maximum), and how many
    gridline steps divide it into round numbers."""
    if value <= 0:
        return 1.0, TICKS[1.0]
    power = 10 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power:
            return step * power, TICKS[step]
    return 10 * power, TICKS[10.0]


@dataclass
class Series:
    name: str
    values: Sequence[Number | None]


@dataclass
class Chart:
    kind: Kind
    title: str
    labels: Sequence[str]
    series: Sequence[Series]
    description: str = ""
    value_text: Callable[[Number], str] = compact_number
    rtl: bool = field(default_factory=get_language_bidi)
    uid: int = field(default_factory=lambda: next(_ids))
    # Each value is written twice (its tooltip and its table cell): formatted once.
    _texts: dict[tuple[type, Number], str] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def is_empty(self) -> bool:
        return not any(v for s in self.series for v in s.values)

    def _maximum(self) -> float:
        if self.kind == "stacked":
            sums = [
                sum(float(s.values[i] or 0) for s in self.series) for i in range(len(self.labels))
            ]
            return max(sums, default=0.0)
        return max((float(v) for s in self.series for v in s.values if v is not None), default=0.0)

    def _x(self, left: float, width: float = 0.0) -> float:
        """A horizontal position measured from the start edge, mirrored when RTL."""
        return WIDTH - left - width if self.rtl else left

    def svg(self) -> SafeString:
        uid = f"chart-{self.uid}"
        top, ticks = _nice_ceiling(self._maximum())
        plot_w, plot_h = WIDTH - AXIS - EDGE, HEIGHT - TOP - BOTTOM
        # The shapes are written with f-strings, not format_html (which escapes every
        # number): only their text is escaped, with the same escaping.
        parts: list[str] = []
        for tick in range(ticks + 1):
            value = top * tick / ticks
            y = TOP + plot_h - plot_h * tick / ticks
            parts.append(
                f'<line x1="{self._x(AXIS)}" x2="{self._x(AXIS + plot_w)}" y1="{y}" y2="{y}"'
                f' stroke="#d0d7de"/><text x="{self._x(AXIS - 6)}" y="{y + 4}"'
                ' text-anchor="end" font-size="11" fill="#57606a">'
                f"{conditional_escape(compact_number(value))}</text>"
            )
        slot = plot_w / max(len(self.labels), 1)
        every = max(1, math.ceil(len(self.labels) / MAX_LABELS))
        for index, label in enumerate(self.labels):
            if index % every:
                continue
            parts.append(
                f'<text x="{self._x(AXIS + slot * (index + 0.5))}" y="{HEIGHT - BOTTOM + 16}"'
                f' text-anchor="middle" font-size="11" fill="#24292f">{conditional_escape(label)}'
                "</text>"
            )
        scale = plot_h / top
        if self.kind == "line":
            parts.extend(self._lines(slot, scale, plot_h))
        else:
            parts.extend(self._bars(slot, scale, plot_h))
        return format_html(
            '<svg class="chart-svg" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d"'
            ' preserveAspectRatio="xMidYMid meet" direction="{}"><title id="{}-t">{}</title>'
            '<desc id="{}-d">{}</desc>{}</svg>',
            WIDTH,
            HEIGHT,
            uid,
            uid,
            "rtl" if self.rtl else "ltr",
            uid,
            self.title,
            uid,
            self.description or self.title,
            mark_safe("".join(parts)),  # noqa: S308 - every part's text escaped above
        )

    def _text(self, value: Number | None) -> str:
        if value is None:
            return "—"
        key = (type(value), value)
        if key not in self._texts:
            self._texts[key] = self.value_text(value)
        return self._texts[key]

    def _tip(self, index: int, series: Series, value: Number | None) -> str:
        name = f"{series.name}: " if len(self.series) > 1 else ""
        return f"{self.labels[index]} — {name}{self._text(value)}"

    def _bars(self, slot: float, scale: float, plot_h: float) -> list[str]:
        parts: list[str] = []
        groups = 1 if self.kind == "stacked" else max(len(self.series), 1)
        bar = slot * 0.7 / groups
        base = TOP + plot_h
        for index in range(len(self.labels)):
            stacked = 0.0
            for number, series in enumerate(self.series):
                value = series.values[index]
                height = float(value or 0) * scale
                offset = 0 if self.kind == "stacked" else number
                left = AXIS + slot * index + slot * 0.15 + bar * offset
                y = base - height - (stacked if self.kind == "stacked" else 0)
                if self.kind == "stacked":
                    stacked += height
                parts.append(
                    f'<rect x="{round(self._x(left, bar), 2)}" y="{round(y, 2)}"'
                    f' width="{round(bar, 2)}" height="{round(height, 2)}"'
                    f' fill="{PALETTE[number % len(PALETTE)]}">'
                    f"<title>{conditional_escape(self._tip(index, series, value))}</title></rect>"
                )
        return parts

    def _lines(self, slot: float, scale: float, plot_h: float) -> list[str]:
        parts: list[str] = []
        base = TOP + plot_h
        for number, series in enumerate(self.series):
            colour = PALETTE[number % len(PALETTE)]
            segment: list[str] = []
            points = []
            for index, value in enumerate(series.values):
                if value is None:
                    # A month without data breaks the line rather than pretending zero.
                    if len(segment) > 1:
                        points.append(segment)
                    segment = []
                    continue
                x = round(self._x(AXIS + slot * (index + 0.5)), 2)
                y = round(base - float(value) * scale, 2)
                segment.append(f"{x},{y}")
                parts.append(
                    f'<circle cx="{x}" cy="{y}" r="3.5" fill="{colour}">'
                    f"<title>{conditional_escape(self._tip(index, series, value))}</title></circle>"
                )
            if len(segment) > 1:
                points.append(segment)
            parts.extend(
                f'<polyline points="{" ".join(line)}" fill="none" stroke="{colour}"'
                ' stroke-width="2"/>'
                for line in points
            )
        return parts

    def legend(self) -> SafeString:
        if len(self.series) < 2:
            return SafeString("")
        items = format_html_join(
            "",
            '<li><svg class="chart-key" viewBox="0 0 10 10" aria-hidden="true">'
            '<rect width="10" height="10" fill="{}"/></svg>{}</li>',
            ((PALETTE[i % len(PALETTE)], s.name) for i, s in enumerate(self.series)),
        )
        return format_html('<ul class="chart-legend">{}</ul>', items)

    def table(self) -> SafeString:
        head = format_html_join("", '<th scope="col">{}</th>', ((s.name,) for s in self.series))
        rows = format_html_join(
            "",
            '<tr><th scope="row">{}</th>{}</tr>',
            (
                (
                    label,
                    format_html_join(
                        "",
                        '<td data-value="{}">{}</td>',
                        (
                            ("" if s.values[i] is None else s.values[i], self._text(s.values[i]))
                            for s in self.series
                        ),
                    ),
                )
                for i, label in enumerate(self.labels)
            ),
        )
        return format_html(
            '<details class="chart-data"><summary>{}</summary><div class="table-wrap">'
            '<table><caption class="sr-only">{}</caption><thead><tr><th scope="col">{}</th>{}</tr>'
            "</thead><tbody>{}</tbody></table></div></details>",
            _("Show the figures as a table"),
            self.title,
            _("Period"),
            head,
            rows,
        )

    def __html__(self) -> str:
        if self.is_empty:
            return format_html(
                '<figure class="chart chart-empty"><figcaption>{}</figcaption><p class="empty">{}</p></figure>',
                self.title,
                _("Nothing to show for this period."),
            )
        # Export buttons are filled in by peyvand.js (no script, no buttons): PNG from the
        # SVG as drawn, CSV from the raw figures in the table's data-value attributes.
        return format_html(
            '<figure class="chart" data-chart-file="{}"><figcaption>{}</figcaption>{}{}{}'
            '<div class="chart-export" hidden><button type="button" data-chart-export="png">{}'
            '</button><button type="button" data-chart-export="csv">{}</button></div></figure>',
            slugify(self.title, allow_unicode=True) or "chart",
            self.title,
            self.svg(),
            self.legend(),
            self.table(),
            _("Download PNG"),
            _("Download CSV"),
        )

    def __str__(self) -> str:
        return self.__html__()


def _chart(kind: Kind) -> Callable[..., Chart]:
    def make(
        title: str,
        labels: Sequence[str],
        series: Sequence[Series],
        *,
        description: str = "",
        value_text: Callable[[Number], str] = compact_number,
    ) -> Chart:
        return Chart(kind, title, labels, series, description, value_text)

    return make


# Bars side by side, one per series, in each label's slot.
bar_chart = _chart("bar")
# One bar per label, each series a segment of it.
stacked_bar_chart = _chart("stacked")
# One line per series; a missing value (None) breaks the line.
line_chart = _chart("line")
