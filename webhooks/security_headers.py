"""Security headers on every response, so a browser refuses what the app never meant to allow.

The Content-Security-Policy allows scripts and styles only from this site, plus the inline pieces
that carry this request's fresh nonce: the NHS.UK template's one line of script (``cspNonce`` in
templates) and the printable report's own stylesheet. No other inline script or style, no framing
(clickjacking), no plugins, forms post only here. A response that rendered no nonce (a webhook's
TwiML, JSON, a redirect) gets the same policy without one, made once: it has no inline code to
allow, and minting a nonce for it was a system call on every SMS turn. HSTS is sent only in
production, where the site is served over https; sending it on a laptop's http would be wrong.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g

HSTS = "max-age=31536000; includeSubDomains"
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def content_security_policy(nonce: str | None) -> str:
    """The policy; with ``nonce``, inline code carrying it is allowed too."""
    allowed = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    return "; ".join((
        "default-src 'self'",
        f"script-src {allowed}",
        f"style-src {allowed}",
        "img-src 'self' data:",
        # NHS.UK frontend's stylesheet loads the Frutiger web fonts from the NHS's asset server.
        "font-src 'self' https://assets.nhs.uk",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


WITHOUT_NONCE = content_security_policy(None)


def csp_nonce() -> str:
    """This request's nonce, made on first use."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def init_security_headers(app: Flask, *, production: bool) -> None:

    @app.context_processor
    def nonce_for_templates() -> dict[str, str]:
        return {"cspNonce": csp_nonce()}

    @app.after_request
    def add_headers(response: Response) -> Response:
        # What a view set itself is kept. One pass over the response's few headers, not a
        # search of them for each of these (werkzeug's setdefault): a third of the cost.
        present = {name.lower() for name, _ in response.headers.items()}
        nonce = g.get("csp_nonce")
        response.headers.extend([(name, value) for name, value in (
            *ALWAYS.items(),
            ("Content-Security-Policy", content_security_policy(nonce) if nonce else WITHOUT_NONCE),
            *((("Strict-Transport-Security", HSTS),) if production else ()),
        ) if name.lower() not in present])
        return response
