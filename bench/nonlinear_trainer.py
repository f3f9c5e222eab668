"""Benchmark: ReLU autoencoder trainer (Fig. 6) at the paper sizes (not a test).

For MNIST (N = 50 000, D = 784, H = 256) and CIFAR-10 (N = 30 000, D = 3072, H = 512) it runs
a few epochs of each model (AE, WDAE, DAE) on random pixels (timing does not depend on the
values), and prints a Markdown table: seconds per epoch, achieved GFLOP/s (10 N D H flops per
epoch) against the machine's measured GEMM rate for the (N x D) @ (D x H) product, the mapping
metric's share of the time (metric every epoch here, scaled to every 10th), and the projected
wall time of the paper's Fig. 6 (3 models x 2000 epochs per dataset).

    .venv/bin/python bench/nonlinear_trainer.py [--device cpu|cuda] [--epochs 10]
        [--datasets mnist cifar10] [--overhead] [--repeats 3]

``--overhead`` adds a table of what checkpoints and progress lines cost (bench/overhead.py),
and the GEMM share with checkpoints and progress on at the config's defaults. ``--repeats R``
interleaves R measurements of the GEMM rate and of the epochs and keeps the best of each: on a
machine that other work loads now and then, the least disturbed sample of both is compared.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
import overhead  # noqa: E402  (bench/overhead.py, beside this script)

from lindae.models import MODELS, nonlinear_regularisers  # noqa: E402
from lindae.training import nonlinear  # noqa: E402
from lindae.training.driver import resolve_device  # noqa: E402

SIZES = {"mnist": (50000, 784, 256), "cifar10": (30000, 3072, 512)}
#: The paper's regulariser amounts for the ReLU models.
SETTINGS = {"weight_decay": 0.0045, "noise_std": 2.0}


def gemm_rate(n: int, d: int, h: int, device: torch.device) -> float:
    """GFLOP/s of the (N x D) @ (D x H) float32 product that dominates an epoch."""
    a = torch.randn(n, d, device=device)
    b = torch.randn(d, h, device=device)
    for _ in range(2):
        a @ b
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(5):
        a @ b
    if device.type == "cuda":
        torch.cuda.synchronize()
    return 5 * 2 * n * d * h / (time.perf_counter() - start) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--datasets", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument(
        "--overhead", action="store_true", help="also measure checkpoint and progress cost"
    )
    parser.add_argument("--repeats", type=int, default=1, help="best of R interleaved samples")
    args = parser.parse_args()
    device = resolve_device(args.device)
    print(f"device {device}, float32, torch threads {torch.get_num_threads()}")
    print(
        "| dataset | model | s / epoch | GFLOP/s | share of GEMM rate | metric share "
        "(every 10th epoch) | projected 2000 epochs |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    total, costs = 0.0, []
    for dataset in args.datasets:
        n, d, h = SIZES[dataset]
        data = np.random.default_rng(0).random((n, d), dtype=np.float32)
        eigenvalues = np.linspace(1.0, 0.1, d)
        eigenvectors = np.linalg.qr(np.random.default_rng(1).standard_normal((d, 4)))[0]
        peak = 0.0
        for model in MODELS:
            noise_std, weight_decay = nonlinear_regularisers(model, SETTINGS)

            # train(epochs, **options): this model on this dataset
            train = functools.partial(
                nonlinear.train_relu_autoencoder,
                data,
                eigenvalues,
                eigenvectors,
                h,
                0.9,
                weight_decay=weight_decay,
                noise_std=noise_std,
                modes=4,
                record_every=1,
                device=str(device),
            )
            per_epoch = per_record = float("inf")
            for _ in range(max(args.repeats, 1)):  # best of R, GEMM rate and epochs interleaved
                peak = max(peak, gemm_rate(n, d, h, device))
                run = train(args.epochs)
                per_record = min(per_record, run.metric_seconds / len(run.epochs))
                per_epoch = min(per_epoch, (run.wall_seconds - run.metric_seconds) / args.epochs)
            rate = 10 * n * d * h / per_epoch / 1e9
            share = per_record / 10 / (per_epoch + per_record / 10)
            projected = 2000 * (per_epoch + per_record / 10)
            total += projected
            print(
                f"| {dataset} | {model} | {per_epoch:.3f} | {rate:.0f} | {rate / peak:.0%} | "
                f"{share:.1%} | {projected / 60:.1f} min |"
            )
            if args.overhead:
                cost = overhead.overhead(train, args.epochs)
                costs.append(overhead.report(f"{dataset} {model}", cost, rate / peak))
        print(f"\n{dataset}: measured GEMM rate {peak:.0f} GFLOP/s\n")
    print(f"projected paper Fig. 6 on this machine: {total / 3600:.2f} h")
    if costs:
        print(f"\ncheckpoint and progress cost (defaults: {overhead.CONFIG['checkpoint']})")
        print(overhead.HEADER)
        print("\n".join(costs))


if __name__ == "__main__":
    main()
