"""The pipeline's stages, one module each; the order they run in is in :mod:`intake.pipeline`."""
