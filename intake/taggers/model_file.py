"""A learned model kept in a file: read on first use and again whenever the file changes, so a
model retrained with `intake train ...` reaches a running service without a restart.

A model is an extra on top of explicit answers and keyword taggers, so nothing about its file may
stop intake: no file means no model, and a file that cannot be read (damaged, another format,
scikit-learn missing) logs a warning and also means no model until the file changes.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)
Model = TypeVar("Model")


class ModelFile(Generic[Model]):
    """The model saved at ``path``, loaded with ``load``; ``what`` names it in warnings."""

    def __init__(self, path: Path, load: Callable[[Path], Model], what: str) -> None:
        self.path = path
        self._load = load
        self._what = what
        self._model: Model | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def get(self) -> Model | None:
        with self._lock:
            try:
                status = self.path.stat()
            except OSError:
                self._model, self._stamp = None, None
                return None
            stamp = (status.st_mtime_ns, status.st_size)
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._model = self._load(self.path)
                except Exception as exc:  # see the module docstring: a model must never stop intake
                    self._model = None
                    log.warning("Tagging without the %s: %s", self._what, exc)
            return self._model


def write_arrays(path: Path, arrays: dict[str, Any]) -> None:
    """Save a model's arrays (NumPy's format: read back without pickle) owner-only, as the model
    is derived from restricted feedback text, and replace the file in one step so a running
    service never reads half a model."""
    import numpy as np

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            np.savez_compressed(handle, **arrays)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def read_model(path: Path, names: Sequence[str], build: Callable[[dict[str, Any], dict[str, Any]], Model],
               *, what: str, format_version: int, retrain: str, error: type[Exception],
               kind: str | None = None) -> Model:
    """Read a file ``write_arrays`` wrote (never unpickling anything) and ``build`` the model from
    its JSON ``metadata`` and the named arrays. Every way the file can be wrong (missing, another
    kind or format version, damaged, not fitting ``build``) raises ``error`` with a sentence that
    ends in ``retrain``, what to do about it."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            metadata = json.loads(str(data["metadata"]))
            if kind is not None and (not isinstance(metadata, dict) or metadata.get("kind") != kind):
                raise error(f"{path} is not a {what}. {retrain}")
            version = metadata.get("format_version") if isinstance(metadata, dict) else None
            if version != format_version:
                raise error(f"{path} is a {what} in format {version!r}, and this version of "
                            f"Involve Intake reads format {format_version}. {retrain}")
            arrays = {name: data[name] for name in names}
        return build(metadata, arrays)
    except error:
        raise
    except FileNotFoundError as exc:
        raise error(f"{path}: no such file. {retrain}") from exc
    except Exception as exc:  # a damaged file can fail in many ways; each has one answer
        raise error(f"{path} cannot be read as a {what} ({type(exc).__name__}: {exc}). "
                    f"{retrain}") from exc
