"""The engagement team's workspace under `/staff`: one module per area, one shared blueprint.

Importing a module registers its pages on :data:`blueprint`; :func:`init_staff` wires the
sign-in machinery into the app.
"""

from __future__ import annotations

from flask import Flask

from webhooks.staff import (  # noqa: F401  (they register their routes)
    account,
    campaigns,
    configuration,
    consultation_materials,
    consultations,
    item,
    privacy,
    queue,
    reports,
    sign_in,
    tracker,
    users,
)
from webhooks.staff.auth import init_auth
from webhooks.staff.blueprint import blueprint
from webhooks.staff.templating import init_templating

__all__ = ["blueprint", "init_staff"]


def init_staff(app: Flask) -> None:
    init_auth(app)
    init_templating(app)
    app.register_blueprint(blueprint)
