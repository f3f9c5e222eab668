"""Third-party modules imported on first use.

Parsing the workflow reads only the figures' metadata (names, inputs, settings) and the model
table, so it must not pay for, nor require, numpy, pandas or matplotlib: Snakemake may run
from an environment of its own (pipx, conda base) that has none of them, and every
``snakemake`` call parses. Library modules therefore bind these packages with
:func:`lazy_import`; the module is loaded the first time one of its attributes is read, and
from then on it is the ordinary module (no cost per access).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

__all__ = ["lazy_import", "REQUESTED", "load_requested"]

#: Every module name bound through :func:`lazy_import` so far (for :func:`load_requested`).
REQUESTED: set[str] = set()


class _Missing(types.ModuleType):
    """Stands for a module that is not installed: reading any attribute raises the
    ModuleNotFoundError that the import would have raised."""

    def __getattr__(self, attr: str) -> None:
        raise ModuleNotFoundError(
            f"No module named {self.__name__!r} (lindae needs it here; install the "
            "environment of this rule, see docs/running.md)",
            name=self.__name__,
        )


def lazy_import(name: str) -> types.ModuleType:
    """Module ``name``, loaded when one of its attributes is first read."""
    REQUESTED.add(name)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return _Missing(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


def load_requested() -> None:
    """Load every module requested so far now (raises if one is missing): what a job's
    environment must provide for the library code it has imported."""
    for name in sorted(REQUESTED):
        _ = lazy_import(name).__name__  # reading any attribute loads a lazy module
