"""Benchmark: data-space vs eigenbasis linear trainer at the CIFAR-10 paper sizes (not a test).

Runs both exact algorithms for a few epochs on N x D data (D = 3072, H = 512, N = 30 000 by
default; random pixels unless --data points at a dataset .npz, the timing does not depend on
the values), and prints a Markdown table: seconds per epoch, the data-space / eigenbasis
wall-time ratio, achieved GFLOP/s and the machine's measured GEMM rate for the same dtype.

    .venv/bin/python bench/linear_trainer.py [--device cpu|cuda] [--dtype float32] [--overhead]
        [--repeats 3]

``--overhead`` adds a table of what checkpoints and progress lines cost (bench/overhead.py),
and the GEMM share with both on at the config's defaults. ``--repeats R`` interleaves R
measurements of the GEMM rate and of the epochs and keeps the best of each (a machine other
work loads now and then).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
import overhead  # noqa: E402  (bench/overhead.py, beside this script)

from lindae.spectra import second_moment_spectrum  # noqa: E402
from lindae.training import linear, linear_init  # noqa: E402
from lindae.training.driver import resolve_device, resolve_dtype  # noqa: E402


def gemm_rate(dimension: int, hidden: int, dtype: torch.dtype, device: torch.device) -> float:
    """GFLOP/s of the (D x H) @ (H x H) products the eigenbasis step is made of."""
    a = torch.randn(dimension, hidden, dtype=dtype, device=device)
    b = torch.randn(hidden, hidden, dtype=dtype, device=device)
    for _ in range(3):
        a @ b
    _sync(device)
    repeats = 20
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    _sync(device)
    return repeats * 2 * dimension * hidden * hidden / (time.perf_counter() - start) / 1e9


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def seconds_per_epoch(train, epochs: int) -> float:
    """Wall seconds per epoch: (T(epochs) - T(1)) / (epochs - 1), so set-up cost cancels."""
    train(1)  # warm-up (allocations, thread pool)
    start = time.perf_counter()
    train(1)
    single = time.perf_counter() - start
    start = time.perf_counter()
    train(epochs)
    return (time.perf_counter() - start - single) / (epochs - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30000)
    parser.add_argument("--dimension", type=int, default=3072)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--dataspace-epochs", type=int, default=3)
    parser.add_argument("--eigenbasis-epochs", type=int, default=30)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--data", type=Path, help="a dataset .npz (train_images) to use instead")
    parser.add_argument(
        "--overhead", action="store_true", help="also measure checkpoint and progress cost"
    )
    parser.add_argument("--repeats", type=int, default=1, help="best of R interleaved samples")
    args = parser.parse_args()

    device = resolve_device(args.device)
    dtype = resolve_dtype(args.dtype)
    n, d, h = args.samples, args.dimension, args.hidden
    if args.data:
        from lindae.data import load_training_matrix

        data = load_training_matrix(args.data, n)
        d = data.shape[1]
    else:
        data = np.random.default_rng(0).random((n, d))
    spectrum = second_moment_spectrum(data)
    w1, w2 = linear_init.initial_weights(d, h, 1e-4, 321, "DAE")
    common = dict(lr=1e-4, noise=0.5, steps=[0], device=str(device), dtype=args.dtype)

    def eigenbasis(epochs, **options):
        linear.train_eigenbasis(
            spectrum.eigenvalues, spectrum.eigenvectors, w1, w2, epochs=epochs, **common, **options
        )

    def on_data(trainer, **fixed):
        """train(epochs, **options) of a trainer that reads the data matrix."""

        def train(epochs, **options):
            values, vectors = spectrum.eigenvalues, spectrum.eigenvectors
            trainer(data, values, vectors, w1, w2, epochs=epochs, **common, **fixed, **options)

        return train

    dataspace = on_data(linear.train_dataspace)
    sampled = on_data(linear.train_sampled_noise, seed=7)

    fast = slow = noisy = float("inf")
    peak = 0.0
    for _ in range(max(args.repeats, 1)):  # best of R, GEMM rate and epochs interleaved
        peak = max(peak, gemm_rate(d, h, dtype, device))
        fast = min(fast, seconds_per_epoch(eigenbasis, args.eigenbasis_epochs))
        slow = min(slow, seconds_per_epoch(dataspace, args.dataspace_epochs))
        noisy = min(noisy, seconds_per_epoch(sampled, args.dataspace_epochs))
    flops_fast, flops_slow = 8 * d * h * h, 10 * n * d * h
    print(
        f"device {device}, {args.dtype}, torch threads {torch.get_num_threads()}, N={n} D={d} H={h}"
    )
    print("| algorithm | s / epoch | GFLOP/s | share of GEMM rate |")
    print("| --- | --- | --- | --- |")
    times = {"data space": slow, "sampled noise": noisy, "eigenbasis": fast}
    for name, seconds, flops in (
        ("data space", slow, flops_slow),
        ("sampled noise", noisy, flops_slow),  # the same products, plus drawing the noise
        ("eigenbasis", fast, flops_fast),
    ):
        rate = flops / seconds / 1e9
        print(f"| {name} | {seconds:.4f} | {rate:.1f} | {rate / peak:.0%} |")
    print(f"\nmeasured GEMM rate ({d}x{h} @ {h}x{h}): {peak:.1f} GFLOP/s")
    print(f"wall-time ratio data space / eigenbasis: {slow / fast:.0f}x")
    if args.overhead:
        # checkpoints and progress lines (bench/overhead.py): a save and a line every epoch
        print(f"\ncheckpoint and progress cost (defaults: {overhead.CONFIG['checkpoint']})")
        print(overhead.HEADER)
        for name, train, epochs, flops in (
            ("eigenbasis", eigenbasis, args.eigenbasis_epochs, flops_fast),
            ("data space", dataspace, args.dataspace_epochs, flops_slow),
            ("sampled noise", sampled, args.dataspace_epochs, flops_slow),
        ):
            costs = overhead.overhead(train, epochs)
            print(overhead.report(name, costs, flops / times[name] / 1e9 / peak))


if __name__ == "__main__":
    main()
