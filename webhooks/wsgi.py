"""The WSGI entry point for production servers: `gunicorn webhooks.wsgi:app`.

gunicorn imports this once, in its master (``preload_app`` in deploy/gunicorn.conf.py), and forks
every worker from it. So the taggers the pipeline builds lazily (language profiles and word
lists, phrase matchers, learned models when there are any) are built here, once: each worker
starts with them, shares their memory with its siblings instead of holding a copy, and no
person's first message to a new worker (one comes every ``max_requests``) waits most of a
second for them. Nothing here touches the database.
"""

import gc

from flask import Flask

from intake import pipeline
from intake.heap import release_freed_memory
from webhooks import create_app
from webhooks.runtime import RUNTIME_KEY


def load_taggers(app: Flask) -> None:
    """Build every lazily built tagger of the app's runtime now."""
    runtime = app.extensions[RUNTIME_KEY]
    pipeline.build_taggers(runtime.config, runtime.intake.taggers)


app = create_app()
load_taggers(app)
# What was built above lives as long as the process: moved out of the collector's sight, the
# workers' garbage collections no longer write to (and so copy) the pages they share.
gc.freeze()
# What only the build needed, freed, handed back before the workers are forked (about 6 MB each).
release_freed_memory()
