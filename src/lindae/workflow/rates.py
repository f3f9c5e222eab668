"""This machine's compute rates, measured in a fraction of a second (for lindae.workflow.cost).

A float32 and a float64 matrix product of the trainers' shape (tall, skinny) and a Gaussian
draw, with torch when the Snakemake process can import it (the trainers' library), else
numpy; neither (Snakemake in an environment of its own): no rates. Importing torch takes
seconds, so a real run starts it in the background while Snakemake builds its job graph
(:func:`prefetch_torch`) and the measurement itself (:func:`measure_rates`) waits for it; the
import's duration is also what each training job pays at start. Never imports snakemake.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Rates", "prefetch_torch", "measure_rates"]

# The background import of torch: (thread, [seconds it took]) once started.
_PREFETCH: dict[str, Any] = {}


@dataclass(frozen=True)
class Rates:
    """What this machine computes per second, with one job's threads."""

    gemm: float  # float32 matrix-product FLOP/s
    double: float  # float64 matrix-product FLOP/s
    normals: float  # float32 Gaussian numbers drawn per second
    latency: float  # seconds of one small threaded operation (1024 x 64 @ 64 x 64)
    library: str  # "torch" or "numpy"
    threads: int
    torch_import: float | None = None  # seconds importing torch took here, when measured


def _import_torch(took: list[float]) -> None:
    begun = time.perf_counter()
    try:
        importlib.import_module("torch")
    except Exception:  # a broken torch: measured with numpy instead
        return
    took.append(time.perf_counter() - begun)


def prefetch_torch() -> None:
    """Start importing torch in the background (once), if it is installed."""
    if "thread" in _PREFETCH or importlib.util.find_spec("torch") is None:
        return
    took: list[float] = []
    thread = threading.Thread(target=_import_torch, args=(took,), name="lindae-torch", daemon=True)
    _PREFETCH.update(thread=thread, took=took)
    thread.start()


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


def measure_rates(threads: int, budget: float = 0.4) -> Rates | None:
    """This machine's rates with ``threads`` threads, in about ``budget`` seconds (plus the
    torch import, unless :func:`prefetch_torch` did it): torch when importable, else numpy;
    None when neither is."""
    size, inner = 1024, 128  # the trainers' products: tall and skinny
    share = budget / 4
    prefetch_torch()
    if "thread" in _PREFETCH:
        _PREFETCH["thread"].join()
    if _PREFETCH.get("took"):
        import torch

        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            a, b = torch.rand(size, size), torch.rand(size, inner)
            a64, b64 = a.double(), b.double()
            noise = torch.empty(size * inner)
            small, square = torch.rand(1024, 64), torch.rand(64, 64)
            gemm = _timed(lambda: a @ b, share)
            double = _timed(lambda: a64 @ b64, share)
            draw = _timed(lambda: torch.randn(noise.shape, out=noise), share)
            latency = _timed(lambda: small @ square, share)
        finally:
            torch.set_num_threads(previous)
        library, imported = "torch", _PREFETCH["took"][0]
    elif importlib.util.find_spec("numpy") is not None:
        import numpy as np

        rng = np.random.default_rng(0)
        a64, b64 = rng.random((size, size)), rng.random((size, inner))
        a, b = a64.astype(np.float32), b64.astype(np.float32)
        gemm = _timed(lambda: a @ b, share)
        double = _timed(lambda: a64 @ b64, share)
        draw = _timed(lambda: rng.standard_normal(size * inner, dtype=np.float32), share)
        small, square = a[:, :64].copy(), a[:64, :64].copy()
        latency = _timed(lambda: small @ square, share)
        library, imported = "numpy", None
    else:
        return None
    flops = 2 * size * size * inner
    return Rates(
        flops / gemm, flops / double, size * inner / draw, latency, library, threads, imported
    )
