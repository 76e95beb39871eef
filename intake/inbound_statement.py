"""The raw message's INSERT as the first clause of a statement that also reads (PostgreSQL).

Every chat turn stores its raw message, then reads what it needs (the sender's address and open
conversation): two round trips, each a statement that commits itself. PostgreSQL runs both as
one statement, the INSERT a data-modifying ``WITH`` clause and the read a SELECT that starts
from the row it returns, so nothing is read unless the message is stored, and the two commit
or fail together, as the INSERT alone would. A caller (``bot.turn_statements``) builds its read
from ``STORED_INBOUND``; ``intake.ingest.Intake.receive_reading`` runs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, insert

from intake.storage.models import InboundMessage

_INBOX = InboundMessage.__table__
# What ``Intake._inbound_values`` gives a new row: every column with a default, since defaults
# are not applied to an INSERT inside a WITH clause.
_COLUMNS = ("channel", "provider_message_id", "received_at", "payload_encrypted", "sender_hash",
            "state", "attempts")
# Bound under their own names, so that a read's parameters (the address's channel) cannot meet
# the message's.
_PREFIX = "inbound__"

STORED_INBOUND = insert(_INBOX).values(
    {name: bindparam(_PREFIX + name, type_=_INBOX.c[name].type) for name in _COLUMNS}
).returning(_INBOX.c.id).cte("stored")


def stored_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of ``STORED_INBOUND`` for a new row's values (a missing one is a
    KeyError, not a column left NULL)."""
    return {_PREFIX + name: values[name] for name in _COLUMNS}
