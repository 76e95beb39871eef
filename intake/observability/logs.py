"""Logging for every process of the service: one JSON object a line in production, text on a
laptop; the request id in every line written while a request is served.

``LOG_FORMAT`` is ``json`` or ``text`` (default: json when ``INTAKE_ENV=production``, else text);
``LOG_LEVEL`` is the service's own level. The same configuration serves the command line
(``intake.cli.run``) and gunicorn (``deploy/gunicorn.conf.py`` passes ``logging_config`` as its
``logconfig_dict``), so a worker's lines and a web request's lines look alike.

What is never logged: the libraries below that would log a request's URL, body or SQL
parameters (a Telegram bot token is in every Bot API URL; Twilio's client logs its requests)
are held at WARNING whatever ``LOG_LEVEL`` says; gunicorn's access lines keep only the method,
path, status, size, duration and request id: no client address, query string, referrer or
user agent.
"""

from __future__ import annotations

import logging
import logging.config
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

from intake.observability.request_id import current_request_id

FORMATS = ("json", "text")
LEVELS = ("debug", "info", "warning", "error", "critical")
# Loggers of libraries that log URLs (with the bot token), request bodies or SQL parameters at
# INFO or DEBUG, held at WARNING.
# flask-limiter names the client's address when a limit is exceeded (INFO).
QUIET_LOGGERS = ("httpx", "httpcore", "twilio", "urllib3", "telegram", "sqlalchemy", "hpack",
                 "flask-limiter")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(request_tag)s: %(message)s"
# gunicorn's access atoms (``access_log_format``) that hold nothing personal.
ACCESS_FIELDS = {"m": "method", "U": "path", "s": "status", "B": "bytes", "M": "duration_ms"}
ACCESS_REQUEST_ID = "{x-request-id}o"  # the response header the app sets


def log_format(env: Mapping[str, str]) -> str:
    """``LOG_FORMAT`` if valid, else the environment's default (``intake check-config`` reports
    an invalid value; logging must still work meanwhile)."""
    chosen = (env.get("LOG_FORMAT") or "").strip().lower()
    if chosen in FORMATS:
        return chosen
    return "json" if (env.get("INTAKE_ENV") or "").strip() == "production" else "text"


def log_level(env: Mapping[str, str]) -> str:
    chosen = (env.get("LOG_LEVEL") or "").strip().lower()
    return chosen.upper() if chosen in LEVELS else "INFO"


def _iso_time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class JsonFormatter(_LibraryJsonFormatter):
    """``{"time", "level", "logger", "message", "request_id"?, ...extra, "exception"?}``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger",
                                            "exc_info": "exception"})
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(**kwargs)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _iso_time(record)

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            log_data["request_id"] = request_id


class TextFormatter(logging.Formatter):
    """A line for a person at a terminal, with ``[request id]`` when there is one."""

    def __init__(self, fmt: str = TEXT_FORMAT, **kwargs: Any) -> None:
        super().__init__(fmt, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or current_request_id()
        record.request_tag = f" [{request_id}]" if request_id else ""
        return super().format(record)


def _access_atoms(record: logging.LogRecord) -> Mapping[str, Any]:
    return record.args if isinstance(record.args, Mapping) else {}


class AccessJsonFormatter(JsonFormatter):
    """gunicorn's access line as fields: method, path, status, bytes, duration_ms, request_id.
    The message is built from those alone, never from ``access_log_format``, so no other atom
    (address, query string, headers) can reach the log."""

    def format(self, record: logging.LogRecord) -> str:
        atoms = _access_atoms(record)
        fields: dict[str, Any] = {}
        for atom, name in ACCESS_FIELDS.items():
            value = atoms.get(atom) if atom in atoms else None
            if name in ("status", "bytes", "duration_ms"):
                try:
                    value = int(value) if value not in (None, "-") else None
                except (TypeError, ValueError):
                    value = None
            fields[name] = value
        request_id = atoms.get(ACCESS_REQUEST_ID) if ACCESS_REQUEST_ID in atoms else None
        if request_id and request_id != "-":
            fields["request_id"] = request_id
        copy = logging.makeLogRecord({
            "name": record.name, "levelno": record.levelno, "levelname": record.levelname,
            "created": record.created, "msecs": record.msecs,
            "msg": f"{fields['method']} {fields['path']} {fields['status']}", "args": None,
            **fields})
        return super().format(copy)


def logging_config(env: Mapping[str, str], *, gunicorn: bool = False) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary. With ``gunicorn``, also gunicorn's own error
    log (through the root handler) and its access log (its own handler, on stdout as gunicorn
    writes it)."""
    chosen, level = log_format(env), log_level(env)
    formatter = "json" if chosen == "json" else "text"
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": f"{__name__}.JsonFormatter"},
            "text": {"()": f"{__name__}.TextFormatter"},
            "access_json": {"()": f"{__name__}.AccessJsonFormatter"},
            "access_text": {"format": "%(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": formatter,
                        "stream": "ext://sys.stderr"},
        },
        "root": {"level": level, "handlers": ["console"]},
        "loggers": {name: {"level": "WARNING"} for name in (*QUIET_LOGGERS, "alembic.runtime.plugins")},
    }
    if gunicorn:
        # `intake db upgrade` says what it migrates; in the web app alembic only reads the
        # revision (for /healthz), twice a line every health check.
        config["loggers"]["alembic"] = {"level": "WARNING"}
        config["handlers"]["access"] = {"class": "logging.StreamHandler",
                                        "formatter": f"access_{formatter}",
                                        "stream": "ext://sys.stdout"}
        config["loggers"]["gunicorn.error"] = {"level": level, "handlers": [], "propagate": True}
        config["loggers"]["gunicorn.access"] = {"level": "INFO", "handlers": ["access"],
                                                "propagate": False}
    return config


def configure_logging(env: Mapping[str, str]) -> None:
    """For a process's entry point (the `intake` command); never for a library or a test."""
    logging.config.dictConfig(logging_config(env))
    logging.captureWarnings(True)
