"""Request code reaches the core runtime that the app was built with."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask

from intake.bootstrap import Runtime
from webhooks import create_app
from webhooks.runtime import RUNTIME_KEY, current_runtime


def test_the_runtime_given_to_create_app_is_the_current_runtime(app: Flask, runtime: Runtime) -> None:
    with app.app_context():
        assert current_runtime() is runtime
    assert app.extensions[RUNTIME_KEY] is runtime


def test_the_current_runtime_is_available_while_handling_a_request(app: Flask,
                                                                   runtime: Runtime) -> None:
    with app.test_request_context("/healthz"):
        assert current_runtime() is runtime


def test_each_app_sees_its_own_runtime(app: Flask, runtime: Runtime) -> None:
    other_runtime = replace(runtime)
    other = create_app({"TESTING": True}, runtime=other_runtime)
    with other.app_context():
        assert current_runtime() is other_runtime
    with app.app_context():
        assert current_runtime() is runtime


def test_outside_an_app_there_is_no_current_runtime() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        current_runtime()
