"""webhooks.converters: ``<int:…>`` matches only numbers an integer column can hold, so a larger
one is a plain 404 before any view (or the database) sees it."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from intake.staff.validation import MAX_ID
from webhooks.converters import RecordIdConverter, init_converters


@pytest.fixture
def numbers() -> FlaskClient:
    app = Flask(__name__)
    init_converters(app)
    app.add_url_rule("/records/<int:number>", "record", lambda number: str(number))
    app.add_url_rule("/small/<int(min=5, max=10):number>", "small", lambda number: str(number))
    return app.test_client()


def test_init_converters_makes_int_the_record_id_converter() -> None:
    app = Flask(__name__)
    init_converters(app)
    assert app.url_map.converters["int"] is RecordIdConverter


@pytest.mark.parametrize("number", [0, 1, 12, MAX_ID])
def test_numbers_a_column_holds_are_matched(numbers: FlaskClient, number: int) -> None:
    response = numbers.get(f"/records/{number}")
    assert response.status_code == 200 and response.get_data(as_text=True) == str(number)


@pytest.mark.parametrize("text", [str(MAX_ID + 1), "9" * 30, "-1", "1.5", "twelve"])
def test_anything_else_is_not_found(numbers: FlaskClient, text: str) -> None:
    assert numbers.get(f"/records/{text}").status_code == 404


def test_a_route_s_own_bounds_still_apply(numbers: FlaskClient) -> None:
    assert [numbers.get(f"/small/{n}").status_code for n in (4, 5, 10, 11)] == [404, 200, 200, 404]


def test_routes_added_before_init_keep_the_unbounded_converter() -> None:
    """Why init_converters must come first: a rule picks its converter when it is added."""
    app = Flask(__name__)
    app.add_url_rule("/early/<int:number>", "early", lambda number: str(number))
    init_converters(app)
    app.add_url_rule("/late/<int:number>", "late", lambda number: str(number))
    client = app.test_client()
    assert client.get(f"/early/{MAX_ID + 1}").status_code == 200
    assert client.get(f"/late/{MAX_ID + 1}").status_code == 404


def test_the_app_s_routes_refuse_an_id_too_large_before_anything_else(offline_app: Flask) -> None:
    """A stranger is sent to sign in for any user's page, but an impossible id is simply not
    there: routing refused it before the sign-in check (and the database) could run."""
    client = offline_app.test_client()
    assert client.get(f"/staff/users/{MAX_ID}").status_code == 302
    assert client.get(f"/staff/users/{MAX_ID + 1}").status_code == 404
    assert client.get(f"/staff/tracker/{10**40}/edit").status_code == 404
