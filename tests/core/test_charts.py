"""The SVG chart helper: bar heights follow the values, RTL mirrors, text is escaped,
missing values break lines, and every chart carries its figures as a table."""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils import translation

from peyvand.core.charts import Series, bar_chart, compact_number, line_chart, stacked_bar_chart


def _rects(html: str) -> list[dict[str, float]]:
    return [
        {k: float(v) for k, v in re.findall(r'(x|y|width|height)="([\d.]+)"', rect)}
        for rect in re.findall(r"<rect x=[^>]*>", html)
    ]


def test_bar_heights_are_proportional_and_the_table_repeats_the_figures() -> None:
    chart = bar_chart("Won", ["Jan", "Feb", "Mar"], [Series("Won", [10, 20, Decimal(5)])])
    html = str(chart)
    heights = [r["height"] for r in _rects(html)]
    assert heights[1] == 2 * heights[0] == 4 * heights[2]
    assert "<title id=" in html and "<desc id=" in html and 'role="img"' in html
    assert re.search(r"<th scope=\"row\">Feb</th><td data-value=\"20\">20</td>", html)
    assert "<script" not in html and "style=" not in html


def test_rtl_mirrors_the_first_label_to_the_right() -> None:
    labels, series = ["A", "B"], [Series("S", [1, 1])]
    ltr = _rects(str(bar_chart("t", labels, series)))
    with translation.override("fa"):
        rtl_chart = bar_chart("t", labels, series)
        html = str(rtl_chart)
    rtl = _rects(html)
    assert ltr[0]["x"] < ltr[1]["x"]
    assert rtl[0]["x"] > rtl[1]["x"]
    assert 'direction="rtl"' in html
    assert rtl[0]["x"] + rtl[0]["width"] == 640 - ltr[0]["x"]


def test_stacked_segments_sit_on_each_other() -> None:
    html = str(stacked_bar_chart("t", ["M"], [Series("a", [30]), Series("b", [10])]))
    first, second = _rects(html)
    assert first["x"] == second["x"]
    assert second["y"] + second["height"] == first["y"]
    assert first["height"] == 3 * second["height"]
    assert '<ul class="chart-legend">' in html


def test_labels_and_titles_are_escaped() -> None:
    html = str(bar_chart("<b>t</b>", ["<script>x</script>"], [Series("<i>s</i>", [1])]))
    assert "<script>x</script>" not in html and "<b>t</b>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_a_missing_value_breaks_the_line() -> None:
    html = str(line_chart("t", ["a", "b", "c", "d", "e"], [Series("s", [1, 2, None, 3, 4])]))
    assert html.count("<polyline") == 2
    assert html.count("<circle") == 4
    assert '<td data-value="">—</td>' in html


def test_an_empty_chart_says_so() -> None:
    html = str(bar_chart("Nothing", ["a"], [Series("s", [0])]))
    assert "<svg" not in html and "Nothing to show" in html


def test_compact_numbers_in_both_languages() -> None:
    assert compact_number(12_500_000) == "12.5M"
    assert compact_number(3000) == "3K"
    assert compact_number(7) == "7"
    with translation.override("fa"):
        assert compact_number(12_500_000) == "۱۲٫۵ میلیون"
        assert compact_number(2_000_000_000) == "۲ میلیارد"
