"""Involve Intake core: the channel-neutral domain, pipeline, storage and command line.

Nothing in this package imports a web framework or a messaging provider's SDK; channels live in
``bot`` and ``webhooks`` and hand plain ``IncomingMessage`` values to :mod:`intake.ingest`.
"""

__version__ = "0.1.0"
