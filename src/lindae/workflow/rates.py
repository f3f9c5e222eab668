"""This machine's compute rates, measured in a fraction of a second (for lindae.workflow.cost).

A float32 and a float64 matrix product of the trainers' shape (tall, skinny), a Gaussian
draw and one kernel call on 64 numbers (what each small step of a loop costs beyond its
arithmetic), with torch when the jobs to run train (the trainers' library; its import, seconds, is
timed too: each training job pays it at start) and the Snakemake process can import it, else
numpy (the library of every other job, imported in a blink); neither (Snakemake in an
environment of its own): no rates. Never imports snakemake.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Rates", "measure_rates"]


@dataclass(frozen=True)
class Rates:
    """What this machine computes per second, with one job's threads."""

    gemm: float  # float32 matrix-product FLOP/s
    double: float  # float64 matrix-product FLOP/s
    normals: float  # float32 Gaussian numbers drawn per second
    latency: float  # seconds of one kernel call on a few numbers: its dispatch, no compute
    library: str  # "torch" or "numpy"
    threads: int
    torch_import: float | None = None  # seconds importing torch took here, when measured


def _import_torch() -> tuple[Any, float] | None:
    """(torch, seconds its import took), or None where it cannot be imported."""
    if importlib.util.find_spec("torch") is None:
        return None
    begun = time.perf_counter()
    try:
        import torch
    except Exception:  # a broken torch: measured with numpy instead
        return None
    return torch, time.perf_counter() - begun


def _timed(function: Callable[[], Any], budget: float) -> float:
    """Fastest seconds of one call of ``function``, called for about ``budget`` seconds after a
    warm-up: what the machine does when the job has it (on a 2-core machine another process
    holding a core slows 2-thread products up to 10x; the fastest call is the least affected)."""
    function()
    times: list[float] = []
    begun = time.perf_counter()
    while not times or time.perf_counter() - begun < budget:
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def measure_rates(threads: int, budget: float = 0.4, torch: bool = True) -> Rates | None:
    """This machine's rates with ``threads`` threads, in about ``budget`` seconds (plus the
    torch import): with torch when ``torch`` is set and it is importable, else with numpy;
    None when neither is."""
    size, inner = 1024, 128  # the trainers' products: tall and skinny
    share = budget / 4
    imported = _import_torch() if torch else None
    if imported is not None:
        library, seconds = imported
        previous = library.get_num_threads()
        library.set_num_threads(threads)
        try:
            a, b = library.rand(size, size), library.rand(size, inner)
            a64, b64 = a.double(), b.double()
            noise = library.empty(size * inner)
            tiny = library.zeros(64)
            gemm = _timed(lambda: a @ b, share)
            double = _timed(lambda: a64 @ b64, share)
            draw = _timed(lambda: library.randn(noise.shape, out=noise), share)
            latency = _timed(lambda: tiny.add_(1.0), share)
        finally:
            library.set_num_threads(previous)
        name, torch_import = "torch", seconds
    elif importlib.util.find_spec("numpy") is not None:
        import numpy as np

        rng = np.random.default_rng(0)
        a64, b64 = rng.random((size, size)), rng.random((size, inner))
        a, b = a64.astype(np.float32), b64.astype(np.float32)
        gemm = _timed(lambda: a @ b, share)
        double = _timed(lambda: a64 @ b64, share)
        draw = _timed(lambda: rng.standard_normal(size * inner, dtype=np.float32), share)
        tiny = np.zeros(64)
        latency = _timed(lambda: np.add(tiny, 1.0, out=tiny), share)
        name, torch_import = "numpy", None
    else:
        return None
    flops = 2 * size * size * inner
    return Rates(
        flops / gemm, flops / double, size * inner / draw, latency, name, threads, torch_import
    )
