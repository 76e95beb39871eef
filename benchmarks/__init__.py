"""Benchmarks: scripts that print figures (never timed assertions in tests). Run each from the
project root as ``.venv/bin/python -m benchmarks.NAME``; results are written up in
docs/performance.md and docs/tagging.md."""
