"""The read-only JSON API under `/api/v1`, for the engagement team's spreadsheets and BI tools.

Importing this package registers its routes and error handlers on :data:`blueprint`.
"""

from webhooks.api import errors, feedback  # noqa: F401  (they register their routes and handlers)
from webhooks.api.blueprint import blueprint

__all__ = ["blueprint"]
