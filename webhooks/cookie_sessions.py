"""Flask's signed-cookie session, with nothing to do for a request that brings no session cookie
and leaves the session untouched: a webhook (each SMS turn), a health probe, most public pages.

Flask builds the cookie's signing serializer to open every session, and reads seven cookie
settings to save one, before it looks whether there is a cookie at all; together about as much
CPU as parsing an SMS's form. Here those two cases return at once, doing what Flask would have
done; every other case is Flask's own code.
"""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin


class CookieSessions(SecureCookieSessionInterface):

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()  # what Flask opens for a request with no cookie
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified:  # empty and never changed: no cookie to set
            if getattr(session, "accessed", True):
                response.vary.add("Cookie")  # read, so the response depended on it, as in Flask
            return
        super().save_session(app, session, response)
