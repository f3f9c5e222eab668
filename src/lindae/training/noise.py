"""Gaussian input noise drawn in parallel, bitwise the same for any thread count.

Drawing N*D Gaussian numbers every epoch is the noisy trainers' main cost beyond their GEMMs
(the ReLU DAE of :mod:`.nonlinear`, the sampled-noise linear DAE of :mod:`.linear`), and one
torch generator fills them on one core (its Mersenne Twister is sequential). So the rows are
cut into ``NOISE_STREAMS`` fixed blocks (``Tensor.chunk``), each drawn by its own generator
seeded from ``numpy.random.SeedSequence(seed)``, and the blocks are filled by a pool of
``threads`` workers (on CUDA, one after another). Each block's numbers depend only on its
generator, so the result is bitwise the same for any ``threads``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

__all__ = ["NOISE_STREAMS", "GaussianStreams", "NoisyInputs"]

# Independent noise generators per run; fixed, so results never depend on the thread count.
NOISE_STREAMS = 8
#: Fewer numbers than this per draw are drawn on the calling thread: handing tiny blocks to the
#: pool costs more than it saves (the result is the same either way).
PARALLEL_FROM = 1 << 18


class GaussianStreams:
    """``NOISE_STREAMS`` seeded generators and the worker pool that fills row blocks with them.

    Use as a context manager (it owns the worker pool); :meth:`state` and :meth:`restore`
    carry the generators through a checkpoint.
    """

    def __init__(self, seed: int, device: torch.device, threads: int = 1) -> None:
        seeds = np.random.SeedSequence(seed).generate_state(NOISE_STREAMS)
        self.generators = [
            torch.Generator(device=device).manual_seed(int(value)) for value in seeds
        ]
        parallel = device.type == "cpu" and threads > 1
        self.pool = ThreadPoolExecutor(max_workers=threads) if parallel else None

    def noisy(self, clean: torch.Tensor, std: float, out: torch.Tensor) -> torch.Tensor:
        """Write ``clean + std * E`` (E standard Gaussian, fresh) into ``out`` (same shape)."""
        blocks = list(zip(clean.chunk(NOISE_STREAMS), out.chunk(NOISE_STREAMS), strict=True))

        def fill(index: int) -> None:
            rows, noisy = blocks[index]
            torch.randn(noisy.shape, generator=self.generators[index], out=noisy)
            torch.add(rows, noisy, alpha=std, out=noisy)  # one pass: x + std * e

        if self.pool is None or out.numel() < PARALLEL_FROM:
            for index in range(len(blocks)):
                fill(index)
        else:
            list(self.pool.map(fill, range(len(blocks))))
        return out

    def state(self) -> list[torch.Tensor]:
        """The generators' states (for a checkpoint)."""
        return [generator.get_state() for generator in self.generators]

    def restore(self, states: list[torch.Tensor]) -> None:
        """Continue the draws from :meth:`state`."""
        for generator, state in zip(self.generators, states, strict=True):
            generator.set_state(state)

    def close(self) -> None:
        """Shut the worker pool down."""
        if self.pool is not None:
            self.pool.shutdown()

    def __enter__(self) -> GaussianStreams:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class NoisyInputs(GaussianStreams):
    """X_tilde = X + std * E for one fixed X, fresh at each :meth:`draw`, into one buffer."""

    def __init__(self, x: torch.Tensor, std: float, seed: int, threads: int = 1) -> None:
        super().__init__(seed, x.device, threads)
        self.x, self.std = x, std
        self.out = torch.empty_like(x)

    def draw(self) -> torch.Tensor:
        """Fresh noisy inputs (the same buffer every time)."""
        return self.noisy(self.x, self.std, self.out)

    def __enter__(self) -> NoisyInputs:
        return self
