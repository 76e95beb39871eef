"""The WSGI entry point for production servers: `gunicorn webhooks.wsgi:app`."""

from webhooks import create_app

app = create_app()
