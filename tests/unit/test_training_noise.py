"""lindae.training.noise: Gaussian input noise in parallel streams, the same for any thread
count."""

from __future__ import annotations

import torch

from lindae.training import noise


def test_noisy_inputs_do_not_depend_on_the_thread_count():
    x = torch.rand(noise.PARALLEL_FROM // 30 + 1, 30, dtype=torch.float32)  # drawn in parallel
    draws = []
    for threads in (1, 2, 3):
        with noise.NoisyInputs(x, 2.0, seed=5, threads=threads) as inputs:
            draws.append([inputs.draw().clone() for _ in range(2)])
    for other in draws[1:]:
        for first, second in zip(draws[0], other, strict=True):
            assert torch.equal(first, second)
    first, second = draws[0]
    assert not torch.equal(first, second)  # fresh noise at every draw


def test_noisy_inputs_are_x_plus_independent_gaussian_noise():
    x = torch.rand(8000, 50, dtype=torch.float64)
    with noise.NoisyInputs(x, 2.0, seed=0, threads=2) as inputs:
        e = (inputs.draw() - x) / 2.0
    # 400 000 draws: mean and variance of N(0, 1) to within ~5 standard errors.
    assert abs(float(e.mean())) < 5 * (1 / 400_000) ** 0.5
    assert abs(float(e.var()) - 1.0) < 5 * (2 / 400_000) ** 0.5
    # The row blocks come from different generators: no block repeats another.
    blocks = e.chunk(noise.NOISE_STREAMS)
    assert len(blocks) == noise.NOISE_STREAMS
    correlation = float((blocks[0] * blocks[1]).mean())
    assert abs(correlation) < 5 * (1 / blocks[0].numel()) ** 0.5


def test_streams_fill_batches_of_any_size_the_same_for_any_thread_count():
    """The sampled-noise trainer's minibatches: blocks of any batch, fewer rows than streams
    included, come out the same with one thread or three."""
    size = noise.PARALLEL_FROM // 7 + 20  # full batches drawn in parallel, the small one not
    clean = torch.rand(size, 7, dtype=torch.float32)
    results = []
    for threads in (1, 3):
        with noise.GaussianStreams(11, torch.device("cpu"), threads) as streams:
            results.append(
                [
                    streams.noisy(clean[:rows], 0.5, torch.empty(rows, 7))
                    for rows in (size, 5, size - 3)
                ]
            )
    for first, second in zip(*results, strict=True):
        assert torch.equal(first, second)
    assert not torch.equal(results[0][0][:5], results[0][1])  # every batch fresh noise
