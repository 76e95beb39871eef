"""`intake check-config`: is this machine's configuration ready to serve? Run it after every
change to the settings and before starting the service; it exits 1 when anything must be fixed."""

from __future__ import annotations

import os

import click

from intake.preflight import run_checks


@click.command("check-config")
@click.option("--workers", type=click.IntRange(1, 512), default=None,
              help="Web worker processes you will run (default: WEB_CONCURRENCY; else in "
                   "production gunicorn.conf.py's default, 2 per core + 1, at most 8; else 1).")
@click.option("--online", is_flag=True,
              help="Also check that the configured providers' APIs (Twilio, Telegram) answer from here.")
@click.option("--timeout", default=5.0, show_default=True, type=click.FloatRange(0.1, 60),
              help="Seconds to wait for each provider with --online.")
def check_config(workers: int | None, online: bool, timeout: float) -> None:
    """Check settings, secrets, the database schema, the configuration files and the channels.
    Nothing is changed."""
    findings = run_checks(os.environ, workers=workers, online=online, timeout=timeout)
    for finding in findings:
        click.echo(str(finding))
    errors = sum(finding.level == "error" for finding in findings)
    warnings = len(findings) - errors
    if errors:
        click.echo(f"{errors} error(s) and {warnings} warning(s): fix the errors before starting.")
        raise SystemExit(1)
    click.echo("The configuration is ready" + (f" ({warnings} warning(s))." if warnings else "."))
