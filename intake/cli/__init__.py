"""The `intake` command. Each command is a small module; channel packages add their own commands
(``intake serve`` comes from ``webhooks``) through the ``intake.commands`` entry point group, so
the core never imports them."""

from __future__ import annotations

import logging
import os
from importlib.metadata import entry_points

import click

from intake import __version__
from intake.cli import (
    benchmarking,
    database,
    exporting,
    importing,
    keys,
    outbox,
    preflight,
    privacy,
    reply,
    reporting,
    reprocessing,
    seeding,
    submitting,
    tagging,
    training,
    users,
    worker,
)
from intake.observability.logs import configure_logging


class IntakeGroup(click.Group):
    """The core commands, plus those channel packages register (loaded on first use, so a
    channel's module can itself import the core CLI helpers)."""

    _plugins_loaded = False

    def _load_plugins(self) -> None:
        if not self._plugins_loaded:
            self._plugins_loaded = True
            for plugin in entry_points(group="intake.commands"):
                self.add_command(plugin.load(), plugin.name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugins()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load_plugins()
        return super().get_command(ctx, cmd_name)


@click.group(cls=IntakeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="intake")
def main() -> None:
    """Involve Intake: patient and carer feedback from SMS, Telegram and web forms."""


for command in (database.db, seeding.seed_demo, tagging.tag, submitting.submit, exporting.export,
                reprocessing.reprocess, keys.keys, worker.worker, reply.reply, benchmarking.benchmark,
                training.train, users.create_user, reporting.report, importing.import_feedback,
                privacy.erase, privacy.subject_access, privacy.purge, outbox.outbox,
                preflight.check_config):
    main.add_command(command)


def run() -> None:
    """The `intake` program: logging set up for this process (``LOG_FORMAT``, ``LOG_LEVEL``),
    then the command. Tests invoke ``main`` itself and keep pytest's own logging."""
    configure_logging(os.environ)
    try:
        main()
    except Exception:
        # A crash (the database gone, say) is one log line like any other, not a bare traceback.
        logging.getLogger("intake").critical("intake stopped on an unexpected error", exc_info=True)
        raise SystemExit(1) from None
