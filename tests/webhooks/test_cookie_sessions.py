"""webhooks.cookie_sessions: Flask's signed-cookie session, the same in every case, with no
signing machinery built for a request that brings no cookie and leaves the session alone."""

from __future__ import annotations

from unittest import mock

import pytest
from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface

from webhooks.cookie_sessions import CookieSessions


def make_app(interface: SecureCookieSessionInterface, secret: str | None = "test-secret") -> Flask:
    app = Flask(__name__)
    app.testing = True
    app.secret_key = secret
    app.session_interface = interface

    @app.get("/untouched")
    def untouched() -> str:
        return "ok"

    @app.get("/read")
    def read() -> str:
        return session.get("name", "nobody")

    @app.get("/write/<name>")
    def write(name: str) -> str:
        session["name"] = name
        return "written"

    @app.get("/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    return app


def cookie_change(set_cookie: str | None) -> str:
    """What a Set-Cookie header does (the value itself holds a timestamp)."""
    if set_cookie is None:
        return "none"
    return "removed" if "Expires=Thu, 01 Jan 1970" in set_cookie else "set"


def visit(app: Flask, paths: list[str], cookie: str | None = None
          ) -> list[tuple[str, str | None, str | None]]:
    """Each path's body, Set-Cookie and Vary, in one client (so cookies carry over)."""
    client = app.test_client()
    if cookie is not None:
        client.set_cookie("session", cookie)
    answers = []
    for path in paths:
        response = client.get(path)
        answers.append((response.get_data(as_text=True), response.headers.get("Set-Cookie"),
                        response.headers.get("Vary")))
    return answers


SCENARIOS = [
    (["/untouched", "/read"], None),
    (["/write/ada", "/read", "/untouched", "/read", "/clear", "/read"], None),
    (["/read", "/untouched"], "not-a-signed-cookie"),
    (["/read", "/untouched"], ""),
]


@pytest.mark.parametrize(("paths", "cookie"), SCENARIOS)
def test_it_answers_as_flasks_own_session_does(paths: list[str], cookie: str | None) -> None:
    ours, flasks = (
        [(body, cookie_change(set_cookie), vary)
         for body, set_cookie, vary in visit(make_app(interface), paths, cookie)]
        for interface in (CookieSessions(), SecureCookieSessionInterface()))
    assert ours == flasks


def test_a_written_session_is_read_back_and_a_cleared_one_removed() -> None:
    answers = visit(make_app(CookieSessions()), ["/write/ada", "/read", "/clear", "/read"])
    assert [body for body, _, _ in answers] == ["written", "ada", "cleared", "nobody"]
    assert answers[0][1] is not None and answers[0][1].startswith("session=")
    assert answers[2][1] is not None and "Expires=Thu, 01 Jan 1970" in answers[2][1]


def test_no_signing_serializer_is_built_without_a_cookie_or_a_change() -> None:
    interface = CookieSessions()
    app = make_app(interface)
    with mock.patch.object(CookieSessions, "get_signing_serializer",
                           wraps=interface.get_signing_serializer) as built:
        assert visit(app, ["/untouched", "/read"]) == [("ok", None, None), ("nobody", None, "Cookie")]
        assert built.call_count == 0
        visit(app, ["/write/ada"])
        assert built.call_count == 1


def test_without_a_secret_key_there_is_no_session_as_in_flask() -> None:
    app = make_app(CookieSessions(), secret=None)
    assert visit(app, ["/read"]) == [("nobody", None, None)]
    with pytest.raises(RuntimeError, match="secret key"):
        app.test_client().get("/write/ada")
