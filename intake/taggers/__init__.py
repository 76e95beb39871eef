"""Pure text analysis: each tagger turns text (and configuration) into findings, with no I/O.

Pipeline stages in :mod:`intake.pipeline.stages` decide how findings and people's explicit answers
combine; the taggers here only read text.
"""
