"""A small synthetic corpus for the theme model, shared by its tests (tagger, evaluation, CLI).

Every comment is made up, built from a few phrases per theme so that each theme has its own words.
Some comments have two themes, and some have none ("Nothing to add"), as real survey comments do.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

# theme id -> (framework name, phrases that say it)
THEMES: dict[str, tuple[str, list[str]]] = {
    "food-and-drink": ("Food & drink", [
        "the food was cold", "lovely hot meals", "tasty sandwiches and tea",
        "no drinks offered all day", "the meals were bland", "plenty of food and water",
    ]),
    "transport": ("Transport to/ from services", [
        "the ambulance driver got me home", "the transport came late to pick me up",
        "the driver helped me into the vehicle", "patient transport was comfortable",
        "the ambulance crew drove carefully", "waiting for transport home",
    ]),
    "staff-manner": ("Staff manner & personal attributes", [
        "the nurses were kind and caring", "staff were friendly and polite",
        "a very caring nurse", "rude receptionist", "kind friendly staff", "the nurse was polite",
    ]),
}
RARE = ("parking", "Parking", ["nowhere to park the car", "car park was full"])
NO_THEME = ["Nothing to add", "No comment", "Don't know", "Not sure really", "None at all"]
OPENERS = ["", "Overall ", "To be honest ", "Well "]


def single(theme: str) -> list[str]:
    """Comments about one theme: every phrase, with each opener."""
    return [f"{opener}{phrase}".capitalize() for phrase in THEMES[theme][1] for opener in OPENERS]


def labelled() -> list[tuple[str, frozenset[str]]]:
    """About 100 comments: each theme alone, pairs of themes, the rare theme, and no theme."""
    rows = [(text, frozenset({theme})) for theme in THEMES for text in single(theme)]
    for first, second in itertools.combinations(THEMES, 2):
        for a, b in zip(THEMES[first][1][:4], THEMES[second][1][2:6], strict=True):
            rows.append((f"{a.capitalize()} and {b}", frozenset({first, second})))
    rows += [(phrase.capitalize(), frozenset({RARE[0]})) for phrase in RARE[2]]
    rows += [(text, frozenset()) for text in NO_THEME]
    return rows


def names() -> dict[str, str]:
    return {theme: name for theme, (name, _) in THEMES.items()} | {RARE[0]: RARE[1]}


V6_METADATA = ["Comment ID", "Trust", "FFT answer", "Comment sentiment"]


def write_v6(path: Path, copies: int = 2) -> Path:
    """A file in the v6 layout: metadata, then one 0/1 column per theme (by its framework name),
    with "Not assigned" and "Labelling not possible" rows as the real file has them."""
    columns = ["Not assigned", *(name for name, _ in THEMES.values()), RARE[1], "Labelling not possible"]
    by_id = names()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*V6_METADATA, *columns])
        number = 0
        for copy in range(copies):
            for text, themes in labelled():
                number += 1
                marked = {by_id[theme] for theme in themes} or {"Not assigned"}
                writer.writerow([f"SYN {number}", "Trust A", text if not copy else f"{text}.", "",
                                 *("1" if column in marked else "" for column in columns)])
            for text in ["Did not answer", ""]:
                number += 1
                writer.writerow([f"SYN {number}", "Trust A", text, "",
                                 *("1" if column == "Labelling not possible" else "" for column in columns)])
    return path


def write_framework(path: Path) -> Path:
    """A framework v7 file: descriptions and quoted examples, one row per sub-category."""
    rows = [
        ("Environment", "Food & drink", "Anything about meals and drinks.",
         "POSITIVE: 'Lovely hot meals', 'Great cup of tea'\nNEGATIVE: ‘The food was cold’"),
        ("Staff", "Staff manner & personal attributes", "How staff behave.",
         "'Kind and caring nurses', 'Polite staff'"),
        ("General", "Labelling not possible", "Blank.", "'Did not answer'"),
        ("Travel", "Not in the data", "A theme the labelled file does not have.", "'Something'"),
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Category", "Sub-category", "Sub-category description", "Examples"])
        writer.writerows(rows)
    return path


def write_phase1(path: Path) -> Path:
    """A phase-1 file: one major category per comment."""
    categories = {"food-and-drink": "Environment/ facilities", "transport": "Access",
                  "staff-manner": "Staff"}
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "label", "subcategory", "feedback", "criticality", "organization",
                         "question", "row_index"])
        number = 0
        for copy in range(3):
            for theme, category in categories.items():
                for text in single(theme):
                    writer.writerow(["xx", category, "", text + "!" * copy, "1", "Trust A", "Q1", number])
                    number += 1
    return path
