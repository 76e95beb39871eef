"""`intake serve`: the web app on a real WSGI server (waitress), with the embedded default."""

from __future__ import annotations

import click
import waitress
from sqlalchemy.engine import make_url

from intake.cli.runtime import open_runtime
from intake.demo import is_empty, seed_demo
from intake.storage.base import utcnow
from webhooks import create_app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, threads: int) -> None:
    """Run the web app. Outside production the SQLite default is migrated and demo content is
    added to an empty database, so a fresh checkout is useful at once."""
    with open_runtime() as runtime:
        if runtime.settings.environment != "production":
            with runtime.sessions.begin() as session:
                if is_empty(session):
                    for what in seed_demo(session, utcnow()):
                        click.echo(f"Added demo {what}.")
        app = create_app(runtime=runtime)
        base = f"http://{host}:{port}"
        database = make_url(runtime.settings.database_url).render_as_string(hide_password=True)
        click.echo(f"Involve Intake is running ({runtime.settings.environment}).\n"
                   f"  Home:     {base}/\n"
                   f"  Health:   {base}/healthz\n"
                   f"  SMS webhook (Twilio): {runtime.settings.public_base_url}/sms/twilio\n"
                   f"  SMS delivery reports: {runtime.settings.public_base_url}/sms/twilio/status\n"
                   f"  Database: {database}\n"
                   "Press Ctrl+C to stop.")
        if runtime.settings.tagging == "worker":
            click.echo("INTAKE_TAGGING=worker: feedback from conversations is tagged when "
                       "`intake worker` runs; start it beside this.", err=True)
        waitress.serve(app, host=host, port=port, threads=threads, ident="involve-intake")
