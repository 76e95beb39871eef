"""Log lines as an operator reads them: one JSON object a line in production (time, level,
logger, message, the request id inside a request), text on a laptop, gunicorn's access line
reduced to fields that hold nothing personal."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator
from typing import Any

import pytest

from intake.observability.logs import (
    QUIET_LOGGERS,
    AccessJsonFormatter,
    JsonFormatter,
    TextFormatter,
    log_format,
    log_level,
    logging_config,
)
from intake.observability.request_id import request_id_bound


def record(message: str = "sent %s", *args: Any, name: str = "intake.outbox", level: int = logging.INFO,
           **extra: Any) -> logging.LogRecord:
    made = logging.LogRecord(name, level, __file__, 1, message, args or None, None)
    made.__dict__.update(extra)
    return made


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "text"),
    ({"INTAKE_ENV": "production"}, "json"),
    ({"INTAKE_ENV": "production", "LOG_FORMAT": "text"}, "text"),
    ({"INTAKE_ENV": "development", "LOG_FORMAT": "JSON"}, "json"),
    ({"INTAKE_ENV": "production", "LOG_FORMAT": "xml"}, "json"),  # check-config reports it
])
def test_json_is_the_default_in_production_and_text_elsewhere(env: dict[str, str], expected: str) -> None:
    assert log_format(env) == expected


def test_the_level_comes_from_log_level() -> None:
    assert log_level({}) == "INFO"
    assert log_level({"LOG_LEVEL": "debug"}) == "DEBUG"
    assert log_level({"LOG_LEVEL": "loud"}) == "INFO"


def test_a_json_line_has_time_level_logger_and_message() -> None:
    line = json.loads(JsonFormatter().format(record("sent %s messages", 3)))
    assert line["level"] == "INFO" and line["logger"] == "intake.outbox"
    assert line["message"] == "sent 3 messages"
    assert line["time"].endswith("+00:00") and "T" in line["time"]
    assert "request_id" not in line


def test_inside_a_request_every_line_carries_its_id() -> None:
    with request_id_bound("0123456789abcdef"):
        inside = json.loads(JsonFormatter().format(record()))
        text = TextFormatter().format(record("refused"))
    outside = json.loads(JsonFormatter().format(record()))
    assert inside["request_id"] == "0123456789abcdef"
    assert "[0123456789abcdef]" in text and text.endswith(": refused")
    assert "request_id" not in outside


def test_extra_fields_and_exceptions_are_kept_as_fields() -> None:
    try:
        raise RuntimeError("the database went away")
    except RuntimeError:
        import sys
        failed = logging.LogRecord("intake", logging.ERROR, __file__, 1, "stopped", None, sys.exc_info())
    line = json.loads(JsonFormatter().format(failed))
    assert "RuntimeError: the database went away" in line["exception"]
    counted = json.loads(JsonFormatter().format(record("cycle", sent=2, failed=0)))
    assert (counted["sent"], counted["failed"]) == (2, 0)


def gunicorn_access_record(**atoms: Any) -> logging.LogRecord:
    """What gunicorn's Logger.access logs: the access_log_format with a dict of atoms."""
    values = {"h": "203.0.113.9", "m": "POST", "U": "/sms/twilio", "q": "From=%2B447700900123",
              "s": "200", "B": 118, "M": 42, "a": "TwilioProxy/1.1", "f": "https://example.test/?q=x",
              "{x-request-id}o": "0123456789abcdef", "{x-twilio-signature}i": "c2lnbmF0dXJl",
              **atoms}
    return logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(h)s %(q)s %(a)s",
                             (values,), None)


def test_the_json_access_line_keeps_only_what_is_not_personal() -> None:
    text = AccessJsonFormatter().format(gunicorn_access_record())
    line = json.loads(text)
    assert line == {"time": line["time"], "level": "INFO", "logger": "gunicorn.access",
                    "message": "POST /sms/twilio 200", "method": "POST", "path": "/sms/twilio",
                    "status": 200, "bytes": 118, "duration_ms": 42, "request_id": "0123456789abcdef"}
    for personal in ("203.0.113.9", "447700900123", "TwilioProxy", "c2lnbmF0dXJl", "q=x"):
        assert personal not in text


def test_an_access_line_without_a_size_or_request_id_still_is_json() -> None:
    line = json.loads(AccessJsonFormatter().format(gunicorn_access_record(
        B=None, **{"{x-request-id}o": None})))
    assert line["bytes"] is None and "request_id" not in line


def test_libraries_that_log_urls_and_bodies_are_held_at_warning() -> None:
    """python-telegram-bot's httpx logs every Bot API URL (the token is in it) at INFO; twilio
    logs its requests; SQLAlchemy logs statement values."""
    config = logging_config({"LOG_LEVEL": "debug"})
    assert {"httpx", "twilio", "telegram", "sqlalchemy", "flask-limiter"} <= set(QUIET_LOGGERS)
    for name in QUIET_LOGGERS:
        assert config["loggers"][name]["level"] == "WARNING"
    assert config["root"]["level"] == "DEBUG"


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """dictConfig changes process-wide state: put back what pytest had."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    names = (*QUIET_LOGGERS, "gunicorn.error", "gunicorn.access", "alembic", "alembic.runtime.plugins")
    saved = {name: (logging.getLogger(name).level, list(logging.getLogger(name).handlers),
                    logging.getLogger(name).propagate) for name in names}
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    for name, (old_level, old_handlers, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.setLevel(old_level)
        logger.handlers[:] = old_handlers
        logger.propagate = propagate


def test_the_gunicorn_configuration_writes_json_lines(
        restored_logging: None, monkeypatch: pytest.MonkeyPatch) -> None:
    errors, access = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stderr", errors)
    monkeypatch.setattr("sys.stdout", access)
    logging.config.dictConfig(logging_config({"INTAKE_ENV": "production"}, gunicorn=True))
    with request_id_bound("fedcba9876543210"):
        logging.getLogger("webhooks.sms.routes").warning("refused an SMS webhook request")
    logging.getLogger("gunicorn.error").info("Booting worker with pid: %s", 7)
    logging.getLogger("gunicorn.access").info("%(h)s", gunicorn_access_record().args)
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot123:SECRET/x")

    error_lines = [json.loads(line) for line in errors.getvalue().splitlines()]
    access_lines = [json.loads(line) for line in access.getvalue().splitlines()]
    assert [(line["logger"], line.get("request_id")) for line in error_lines] == [
        ("webhooks.sms.routes", "fedcba9876543210"), ("gunicorn.error", None)]
    assert [line["message"] for line in access_lines] == ["POST /sms/twilio 200"]
    assert "SECRET" not in errors.getvalue() + access.getvalue()
