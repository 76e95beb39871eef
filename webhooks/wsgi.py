"""The WSGI entry point for production servers: `gunicorn webhooks.wsgi:app`.

gunicorn imports this once, in its master (``preload_app`` in deploy/gunicorn.conf.py), and forks
every worker from it. So the taggers the pipeline builds lazily (language profiles and word
lists, phrase matchers, learned models when there are any) are built here, once: each worker
starts with them, shares their memory with its siblings instead of holding a copy, and no
person's first message to a new worker (one comes every ``max_requests``) waits most of a
second for them. Nothing here touches the database.
"""

import gc
from contextlib import suppress

from flask import Flask

from intake import pipeline
from intake.heap import release_freed_memory
from intake.message import IncomingMessage
from intake.pipeline import PipelineContext, RejectedMessage
from webhooks import create_app
from webhooks.runtime import RUNTIME_KEY

WARM_UP_TEXT = "Warm up: my GP was kind but I need an interpreter and large print letters."


def load_taggers(app: Flask) -> None:
    """Run the pipeline once, offline, so every lazily built tagger is built now."""
    runtime = app.extensions[RUNTIME_KEY]
    with suppress(RejectedMessage):  # never: the text is ordinary feedback
        pipeline.run(IncomingMessage("warm-up", "warm-up", WARM_UP_TEXT),
                     PipelineContext.offline(runtime.config, runtime.intake.taggers))


app = create_app()
load_taggers(app)
# What was built above lives as long as the process: moved out of the collector's sight, the
# workers' garbage collections no longer write to (and so copy) the pages they share.
gc.freeze()
# What only the build needed, freed, handed back before the workers are forked (about 6 MB each).
release_freed_memory()
