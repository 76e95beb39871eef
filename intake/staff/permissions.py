"""Who may do what. One table, checked by the web workspace, the API and the CLI alike."""

from __future__ import annotations

from enum import StrEnum

from intake.storage.models import Role


class Action(StrEnum):
    READ_QUEUE = "read-queue"                 # redacted text, tags, links, reports
    TRIAGE = "triage"                         # status, tags, links, notes, bulk actions
    REPLY = "reply"                           # write to a contributor through the outbox
    SEND_CAMPAIGN = "send-campaign"           # invitations, "you said, we did"
    UPDATE_TRACKER = "update-tracker"         # rating, next steps, outcome of a tracker item
    MANAGE_TRACKER = "manage-tracker"         # create, rename, close tracker items
    MANAGE_CONSULTATIONS = "manage-consultations"
    SEE_UNREDACTED = "see-unredacted"
    MANAGE_USERS = "manage-users"
    HANDLE_ERASURE = "handle-erasure"
    MANAGE_CONFIGURATION = "manage-configuration"  # the TOML configuration files
    USE_API = "use-api"


_RANK = {Role.VIEWER: 0, Role.REVIEWER: 1, Role.ADMIN: 2}
# The least role allowed to do each thing; every higher role may too.
MINIMUM_ROLE = {
    Action.READ_QUEUE: Role.VIEWER,
    Action.USE_API: Role.VIEWER,
    Action.TRIAGE: Role.REVIEWER,
    Action.REPLY: Role.REVIEWER,
    Action.SEND_CAMPAIGN: Role.REVIEWER,
    Action.UPDATE_TRACKER: Role.REVIEWER,
    Action.MANAGE_TRACKER: Role.ADMIN,
    Action.MANAGE_CONSULTATIONS: Role.ADMIN,
    Action.SEE_UNREDACTED: Role.ADMIN,
    Action.MANAGE_USERS: Role.ADMIN,
    Action.HANDLE_ERASURE: Role.ADMIN,
    Action.MANAGE_CONFIGURATION: Role.ADMIN,
}


def can(role: str | Role, action: Action) -> bool:
    """Whether someone with ``role`` may take ``action`` (an unknown role may do nothing)."""
    try:
        rank = _RANK[Role(role)]
    except ValueError:
        return False
    return rank >= _RANK[MINIMUM_ROLE[action]]
