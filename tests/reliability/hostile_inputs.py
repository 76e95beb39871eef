"""Hostile inputs for the fuzz tests: the text people (and robots) really send at a public
service, as hypothesis strategies, and an app whose 500s come back as responses.

Strategies lean towards the inputs that break web apps: control characters and NUL, markup and
script, SQL-looking text, very long text, digits that are not ASCII, and bytes that are not UTF-8.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from hypothesis import strategies as st
from sqlalchemy import func, select

from intake.bootstrap import Runtime
from webhooks import create_app

# Payloads that must come back escaped wherever they are shown.
SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE_BREAKOUT = '"><img src=x onerror=alert(1)>'
MARKUP = (SCRIPT, ATTRIBUTE_BREAKOUT, "</textarea><script>alert('x')</script>",
          "<svg/onload=alert(1)>", "javascript:alert(1)", "{{ 7*7 }}", "{% raw %}",
          "&lt;script&gt;", "<!--", "]]>", "<![CDATA[x]]>")
SQL = ("' OR '1'='1", "'; DROP TABLE feedback; --", '" OR ""="', "1; SELECT pg_sleep(5)",
       "%", "_", "\\", "%%_\\%", "' UNION SELECT password_hash FROM staff_user --", "NULL",
       "1e309", "-1", "0", "00", "9" * 30)
CONTROL = ("\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b[31m", "\x7f", "\x85",
           "\u2028", "\u2029", "\u200b", "\u200e", "\u202e", "\ufeff", "\ufffd", "\r", "\r\n")
ODD_DIGITS = ("²", "³", "¹", "①", "٣", "०", "໒", "𝟘", "፩", "⁹")
DATES = ("2026-11-02", "2026-02-30", "2026-13-01", "0000-01-01", "0001-01-01", "9999-12-31",
         "02/11/2026", "2026-11-02T10:30:00Z", "2026-11-02T10:30:00+14:00", "2026-W44-1",
         "20261102", "2026-11-02 10:30", "yesterday", "")

# Text that can be sent in a form field or a JSON string (any code point except surrogates).
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
hostile_piece = st.sampled_from(MARKUP + SQL + CONTROL + ODD_DIGITS + DATES)
hostile_text = st.one_of(
    any_text,
    hostile_piece,
    st.lists(st.one_of(hostile_piece, any_text), min_size=1, max_size=6).map("".join),
)
long_text = st.integers(min_value=1_000, max_value=60_000).map(lambda n: ("é<b>" * n)[:n])
field_text = st.one_of(hostile_text, hostile_text, long_text)
# Bytes that are not UTF-8 (a lone continuation byte, an overlong form, a surrogate half...).
BAD_UTF8 = (b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xa0\xa1", b"\xe2\x28\xa1", b"\xf0\x28\x8c\xbc",
            b"\xed\xa0\x80", b"\xc0\xaf", b"\x80", b"\xf8\x88\x80\x80\x80")
bad_utf8 = st.lists(st.one_of(st.sampled_from(BAD_UTF8), st.binary(max_size=20)),
                    min_size=1, max_size=5).map(b"".join)


def is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


invalid_utf8 = bad_utf8.filter(lambda raw: not is_utf8(raw))


def percent_bytes(raw: bytes) -> str:
    """Every byte percent-encoded, so a form body carries exactly these bytes once decoded."""
    return "".join(f"%{byte:02X}" for byte in raw)


def hostile_app(runtime: Runtime, **config: Any) -> Flask:
    """The real app, with an unhandled exception answered as a 500 (as in production) instead of
    raised into the test, so a fuzz test can count server errors."""
    return create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False,
                       "FEEDBACK_RATE_LIMIT": "100000 per minute",
                       "API_RATE_LIMIT": "100000 per minute", **config}, runtime=runtime)


def count_rows(runtime: Runtime, model: type, *where: Any) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def is_postgres(runtime: Runtime) -> bool:
    return runtime.engine.dialect.name == "postgresql"
