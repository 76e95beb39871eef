"""Flask extensions, created once and initialised in the app factory."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

# CSRF is checked inside each form view (csrf.protect()), so a failed check can show the form
# again with what the person typed, instead of a bare error page.
csrf = CSRFProtect()
# Per-address limits; in memory by default, shared through Redis when RATELIMIT_STORAGE_URI says.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
