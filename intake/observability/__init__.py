"""What an operator sees of the running service: structured logs with a request id, and metrics.

``logs`` sets up logging (JSON lines in production, text on a laptop) for the web app, gunicorn
and the command line alike; ``request_id`` carries the id of the request being served into every
log line; ``metrics`` defines the Prometheus metrics and renders them (summed across gunicorn's
worker processes); ``database`` reads the figures that live in the database at scrape time;
``measured`` counts messages and times the pipeline's stages from outside the pure pipeline.

Nothing here imports a web framework: ``webhooks.observability`` binds it to Flask.
"""
