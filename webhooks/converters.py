"""URL converters. ``<int:…>`` in every route means a record's number, so it only matches numbers
an integer column can hold: a larger one is a plain 404, never a database error."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from intake.staff.validation import MAX_ID


class RecordIdConverter(IntegerConverter):
    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_converters(app: Flask) -> None:
    """Call before any route is registered: rules pick their converter when they are added."""
    app.url_map.converters["int"] = RecordIdConverter
