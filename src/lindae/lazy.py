"""Third-party modules imported on first use.

Parsing the workflow reads only the figures' metadata (names, inputs, settings) and the model
table, so it must not pay for, nor require, numpy, pandas or matplotlib: Snakemake may run
from an environment of its own (pipx, conda base) that has none of them, and every
``snakemake`` call parses. Library modules therefore bind these packages with
:func:`lazy_import`; the module is imported the first time one of its attributes is read.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

__all__ = ["lazy_import", "REQUESTED", "load_requested"]

#: Every module name bound through :func:`lazy_import` so far (for :func:`load_requested`).
REQUESTED: set[str] = set()


class _OnFirstUse(types.ModuleType):
    """Stands for module ``name`` (never entered in ``sys.modules``): reading an attribute
    imports the module with Python's own import, which is thread-safe, and answers from it.

    Not ``importlib.util.LazyLoader``: on Python 3.11 its module, read from two threads at
    once, can hand one of them the half-executed module (Snakemake's scheduler threads did:
    ``module 'pandas' has no attribute 'DataFrame'``). The price is a method call per read,
    about half a microsecond.
    """

    def __getattribute__(self, attr: str) -> Any:
        # every read, even one the stand-in could answer: all come from the real module, and
        # none first fails as an AttributeError (that alone costs microseconds)
        state = types.ModuleType.__getattribute__(self, "__dict__")
        module = state.get("_lindae_module")
        if module is None:
            module = state["_lindae_module"] = importlib.import_module(state["__name__"])
        return getattr(module, attr)


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
    """Module ``name`` if it is loaded already, else a stand-in that imports it when one of
    its attributes is first read."""
    REQUESTED.add(name)
    if name in sys.modules:
        return sys.modules[name]
    if importlib.util.find_spec(name) is None:
        return _Missing(name)
    return _OnFirstUse(name)


def load_requested() -> None:
    """Import every module requested so far now (raises if one is missing): what a job's
    environment must provide for the library code it has imported."""
    for name in sorted(REQUESTED):
        importlib.import_module(name)
