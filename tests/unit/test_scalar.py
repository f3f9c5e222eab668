"""Scalar GD on S5 (docs/theory.md): the authors' inits, the discretisation bound, conservation."""

import numpy as np
import pytest

from lindae import theory
from lindae.scalar import gradient_descent, legacy_uniform_inits


def test_inits_equal_the_legacy_global_generator():
    """seed(2k), then w1, then w2, as the authors draw them with np.random's global state."""
    w1, w2 = legacy_uniform_inits([0, 2, 4, 18])
    for index, seed in enumerate([0, 2, 4, 18]):
        np.random.seed(seed)  # noqa: NPY002 - the authors' legacy global generator is the point
        assert w1[index] == np.random.uniform(-2, 2)  # noqa: NPY002
        assert w2[index] == np.random.uniform(-2, 2)  # noqa: NPY002


def test_inits_are_those_of_the_published_fig1():
    """Run 0 of Fig. 1 starts at w1 w2 = 0.168 (seed 0), run 2 at 0.353 (seed 4)."""
    w1, w2 = legacy_uniform_inits([0, 4])
    assert w1 * w2 == pytest.approx([0.19525402 * 0.86075747, 1.86811936 * 0.188929], abs=1e-7)


def test_gradient_descent_shapes_and_first_step():
    trajectory = gradient_descent([0.5, -1.0], [1.5, 0.3], 1.0, 0.5, 0.1, 0.01, 7)
    assert trajectory.w1.shape == (8, 2)
    g1, g2 = theory.scalar_loss_gradient(0.5, 1.5, 1.0, 0.5, 0.1)
    assert trajectory.w1[1, 0] == 0.5 - 0.01 * g1
    assert trajectory.w2[1, 0] == 1.5 - 0.01 * g2


def test_negative_epochs_rejected():
    with pytest.raises(ValueError, match="epochs must be >= 0"):
        gradient_descent(0.1, 0.1, 1.0, epochs=-1)


@pytest.mark.parametrize("lam", [0.5, 1.0, 2.5])
@pytest.mark.parametrize("noise,decay", [(0.0, 0.0), (0.5, 0.0), (0.0, 0.3), (1.8, 0.0)])
@pytest.mark.parametrize("lr", [0.001, 0.01])
def test_balanced_gd_tracks_s7_within_the_discretisation_bound(lam, noise, decay, lr):
    """Invariant 5: max |GD - S7| <= 0.2 lr a ln(u*/u0) u* + 1e-9 for lr a <= 0.06."""
    a = lam - decay
    target = float(theory.fixed_point(lam, noise, decay))
    u0 = 1e-4 * target
    assert lr * a <= 0.06 and u0 <= 0.01 * target
    epochs = int(12 * np.log(target / u0) / (2 * lr * a))
    weight = np.sqrt(u0)
    trajectory = gradient_descent(weight, weight, lam, noise, decay, lr, epochs)
    closed_form = theory.mode_strength(np.arange(epochs + 1), lam, noise, decay, lr, u0)
    bound = 0.2 * lr * a * np.log(target / u0) * target + 1e-9
    assert np.max(np.abs(trajectory.mapping - closed_form)) <= bound
    assert trajectory.mapping[-1] == pytest.approx(target, rel=1e-6)


@pytest.mark.parametrize("noise,decay", [(0.0, 0.0), (1.0, 0.0), (0.0, 0.0909), (0.5, 0.2)])
def test_discrete_conservation_law(noise, decay):
    """Invariant 6: c_{k+1} = c_k [(1 - lr gamma)^2 - lr^2 h_k^2] to relative 1e-13."""
    lam, lr = 1.0, 0.01
    w1_0, w2_0 = legacy_uniform_inits(2 * np.arange(1, 11))
    trajectory = gradient_descent(w1_0, w2_0, lam, noise, decay, lr, 300)
    c = theory.conserved_quantity(trajectory.w1, trajectory.w2)
    h = lam - (lam + noise) * trajectory.mapping
    predicted = c[:-1] * ((1 - lr * decay) ** 2 - lr**2 * h[:-1] ** 2)
    assert np.max(np.abs(c[1:] - predicted) / np.abs(c[1:])) <= 1e-13


def test_converged_norms_match_s12():
    """Invariant 6: DAE norms (c^2 + 4u*^2)^(1/4) per init; WDAE norms sqrt(2 u*) for all."""
    lam, lr, eps = 1.0, 0.01, 0.1
    gamma = float(theory.matched_weight_decay(lam, eps))
    w1_0, w2_0 = legacy_uniform_inits(2 * np.arange(1, 11))
    dae = gradient_descent(w1_0, w2_0, lam, eps, 0.0, lr, 5000)
    c_final = theory.conserved_quantity(dae.w1[-1], dae.w2[-1])
    expected = theory.final_weight_norm(c_final, lam, eps)
    assert np.max(np.abs(dae.weight_norm[-1] - expected)) <= 1e-3
    # the DAE norm depends on the init: the runs end at clearly different norms
    assert np.ptp(dae.weight_norm[-1]) > 0.5
    wdae = gradient_descent(w1_0, w2_0, lam, 0.0, gamma, lr, 20000)
    assert np.max(np.abs(wdae.weight_norm[-1] - np.sqrt(2 * 10 / 11))) <= 1e-3


def test_small_random_init_converges_to_fixed_point():
    """Invariant 5, last item (scalar version): any small init reaches u*."""
    rng = np.random.default_rng(7)
    w1_0, w2_0 = 1e-3 * rng.standard_normal((2, 20))
    w1_0, w2_0 = np.abs(w1_0), np.abs(w2_0)  # same sign: u0 > 0, away from the saddle's stable set
    trajectory = gradient_descent(w1_0, w2_0, 1.0, 0.5, 0.0, 0.01, 4000)
    assert np.allclose(trajectory.mapping[-1], 1.0 / 1.5, atol=1e-9)
