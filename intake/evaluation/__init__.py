"""Measuring the taggers on labelled data: `intake benchmark tagging` prints what these compute.

The real corpora live outside the project (``../shared``) and are only read here; the
synthetic cases in ``cases/`` are committed, being made up for the purpose.
"""
