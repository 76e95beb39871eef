"""The hand-drawn SVG charts: well-formed, labelled for screen readers, values written as text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from intake.reporting.charts import Series, bar_chart, line_chart, nice_ceiling, wrap

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_a_bar_chart_is_an_image_named_by_its_title_and_description() -> None:
    root = parse(bar_chart("chart-services", "Feedback by service", ["GP surgery", "A&E <urgent>"],
                           [Series("Items", [12, 3])]))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-services-title chart-services-desc"
    assert root.find(f"{SVG}title").text == "Feedback by service"            # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "Bar chart. GP surgery: 12; A&E <urgent>: 3."  # type: ignore[union-attr]
    assert {"GP surgery", "A&E <urgent>", "12", "3"} <= set(texts(root))


def test_bars_are_as_long_as_their_values() -> None:
    root = parse(bar_chart("c", "t", ["a", "b"], [Series("Items", [10, 5])]))
    widths = [float(r.get("width", 0)) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1] > 0


def test_several_series_get_a_legend_and_percentages_are_written_as_such() -> None:
    root = parse(bar_chart("c", "Reach", ["All", "With a need"],
                           [Series("Share of items (%)", [100.0, 12.5], percent=True),
                            Series("Share of people (%)", [100.0, 20.0], percent=True)]))
    words = texts(root)
    assert "Share of items (%)" in words and "Share of people (%)" in words
    assert "12.5%" in words and "20.0%" in words


def test_a_label_can_have_its_own_colour() -> None:
    root = parse(bar_chart("c", "Ratings", ["Red", "Green"], [Series("Items", [1, 2])],
                           colours={"Red": "#d5281b", "Green": "#007f3b"}))
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert fills == ["#d5281b", "#007f3b"]


def test_long_labels_wrap_between_words_and_are_cut_after_three_lines() -> None:
    label = "Urgent care (walk-in centre, urgent treatment centre)"
    assert wrap(label, 20) == ["Urgent care (walk-in", "centre, urgent", "treatment centre)"]
    assert wrap(label, 12) == ["Urgent care", "(walk-in", "centre, urg…"]
    assert wrap("SMS", 3) == ["SMS"]


def test_a_line_chart_has_a_rounded_axis_and_a_point_per_value() -> None:
    root = parse(line_chart("c", "By week", ["1 Sep", "7 Sep", "14 Sep"],
                            [Series("Items", [3, 7, 0]), Series("With a support need", [1, 2, 0])]))
    assert len(root.findall(f"{SVG}polyline")) == 2
    words = texts(root)
    assert {"0", "2", "4", "6", "8"} <= set(words)          # the axis: 0 to 8 in steps of 2
    assert {"1 Sep", "7 Sep", "14 Sep", "With a support need"} <= set(words)
    assert "Line chart. 1 Sep: Items 3, With a support need 1;" in root.find(f"{SVG}desc").text  # type: ignore[union-attr]


def test_an_empty_chart_still_draws() -> None:
    root = parse(line_chart("c", "Nothing", ["1 Sep"], [Series("Items", [0])]))
    assert root.get("role") == "img"


def test_axis_tops_are_round_numbers() -> None:
    assert nice_ceiling(7) == (8, 2)
    assert nice_ceiling(3) == (3, 1)
    assert nice_ceiling(130) == (150, 50)
    assert nice_ceiling(0) == (1, 1)
