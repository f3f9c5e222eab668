"""CPU threads of the numerical jobs, fixed by the config so results do not depend on --cores.

Floating-point sums split over threads are added in a thread-count dependent order, so numpy's
BLAS/LAPACK (the spectrum's ``eigh``) and torch's matrix products give different last bits
with 1 and 2 threads. Snakemake gives a job fewer threads when ``--cores`` is smaller than the
rule asks for; the rule scripts therefore compute with ``compute_threads`` from the config
instead, and a run is bitwise reproducible on CPU whatever ``--cores`` is
(``compute_threads: 0`` uses the job's threads: faster on big machines, not reproducible
across ``--cores``). The rules ask Snakemake for that many threads
(:func:`job_threads_of`), so with ``compute_threads: 1`` two such jobs share two cores.
Imports neither numpy nor torch (nor snakemake): call :func:`pin_threads` before they load.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

__all__ = ["pin_threads", "job_threads_of"]

_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "GOTO_NUM_THREADS")


def job_threads_of(config: Mapping[str, Any], default: int = 2) -> int:
    """The threads a spectrum or training rule asks Snakemake for: ``compute_threads``, or
    ``default`` when it is 0 (then the job computes with what Snakemake grants)."""
    return int(config.get("compute_threads", 0)) or default


def pin_threads(config: Mapping[str, Any], job_threads: int) -> int:
    """Set the BLAS/OpenMP thread variables to ``compute_threads`` (or ``job_threads`` if 0).

    Must run before numpy or torch is imported; returns the count, for
    ``torch.set_num_threads``.
    """
    threads = int(config.get("compute_threads", 0)) or int(job_threads)
    for variable in _VARIABLES:
        os.environ[variable] = str(threads)
    return threads
