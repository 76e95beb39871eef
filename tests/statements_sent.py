"""The SQL a piece of code sends, for tests that check how many round trips it costs: each
statement flattened to one line, with its connection's isolation level (``AUTOCOMMIT``: the
statement committed itself, with no BEGIN and COMMIT around it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, event


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[tuple[str, object]]]:
    """Yields a list that fills, while the block runs, with (statement, isolation level)."""
    sent: list[tuple[str, object]] = []

    def note(connection: Connection, _cursor: object, statement: str, *_: object) -> None:
        sent.append((" ".join(statement.split()),
                     connection.get_execution_options().get("isolation_level")))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def set_by(statement: str, table: str) -> list[str]:
    """The columns an UPDATE of ``table`` within ``statement`` sets (the statement as sent,
    flattened or not)."""
    found = re.search(rf"UPDATE {table} SET (.*?) WHERE", statement, re.DOTALL)
    assert found, statement
    return [assignment.split("=")[0] for assignment in found.group(1).split(", ")]
