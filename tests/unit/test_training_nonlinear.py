"""Nonlinear (ReLU) autoencoder trainer and the mapping metric of Fig. 6."""

import numpy as np
import pytest
import torch

from lindae import models, theory
from lindae.models import effective_linear_parameters
from lindae.spectra import second_moment_spectrum
from lindae.training import driver, linear, nonlinear, stability

N, D, H = 200, 16, 6


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(3)
    data = rng.random((N, D)) * np.linspace(1.0, 0.1, D)
    return data, second_moment_spectrum(data)


def _autograd_step(data, w1, w2, lr, weight_decay, noisy, activation):
    """One SGD step of torch's own autograd, float64 (the independent reference)."""
    x = torch.as_tensor(data)
    a = w1.clone().double().requires_grad_(True)
    b = w2.clone().double().requires_grad_(True)
    hidden = torch.as_tensor(noisy) @ a.T
    hidden = torch.relu(hidden) if activation == "relu" else hidden
    loss = torch.nn.functional.mse_loss(hidden @ b.T, x)
    loss.backward()
    with torch.no_grad():
        return (a - lr * (a.grad + weight_decay * a)), (b - lr * (b.grad + weight_decay * b))


@pytest.mark.parametrize("activation", ["relu", "linear"])
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_gradient_step_equals_autograd(problem, activation, weight_decay):
    data, spectrum = problem
    lr, seed = 0.5, 4
    run = nonlinear.train_relu_autoencoder(
        data,
        spectrum.eigenvalues,
        spectrum.eigenvectors,
        H,
        lr,
        1,
        weight_decay=weight_decay,
        init_std=0.3,
        seed=seed,
        modes=2,
        record_every=1,
        activation=activation,
        dtype="float64",
    )
    w1, w2 = nonlinear.initial_weights(D, H, 0.3, seed, torch.float64)
    new_w1, new_w2 = _autograd_step(data, w1, w2, lr, weight_decay, data, activation)
    # the metric after one update, recomputed from the autograd weights
    hidden = data @ new_w1.numpy().T
    hidden = np.maximum(hidden, 0) if activation == "relu" else hidden
    prediction = hidden @ new_w2.numpy().T
    v = spectrum.eigenvectors[:, :2]
    expected = np.sum((prediction @ v) * (data @ v), axis=0) / (N * spectrum.eigenvalues[:2])
    assert np.allclose(run.corrected[1], expected, rtol=1e-10, atol=1e-14)
    hidden0 = data @ w1.numpy().T
    hidden0 = np.maximum(hidden0, 0) if activation == "relu" else hidden0
    assert run.loss[0] == pytest.approx(np.mean((hidden0 @ w2.numpy().T - data) ** 2), rel=1e-10)


def test_projected_metric_equals_the_dxd_formula(problem):
    """docs/data.md: m_i = (u_i^T Sigma_xhat_x v_i) / s_i; for X_hat = X W^T it is v^T W v."""
    data, spectrum = problem
    rng = np.random.default_rng(0)
    w = rng.standard_normal((D, D))
    prediction = data @ w.T
    sigma_xhat_x = prediction.T @ data  # D x D: the authors' matrix, here only for the check
    u, s, vt = np.linalg.svd(data.T @ data)
    dxd = np.array([u[:, i] @ sigma_xhat_x @ vt[i] / s[i] for i in range(4)])
    directions = torch.as_tensor(spectrum.eigenvectors[:, :4])
    projected = nonlinear.mapping_metric(
        torch.as_tensor(prediction),
        torch.as_tensor(data) @ directions,
        directions,
        torch.as_tensor(N * spectrum.eigenvalues[:4]),
    ).numpy()
    assert np.allclose(projected, dxd, atol=1e-10)
    linear_map = np.array(
        [spectrum.eigenvectors[:, i] @ w @ spectrum.eigenvectors[:, i] for i in range(4)]
    )
    assert np.allclose(projected, linear_map, atol=1e-10)  # invariant 11


def test_linear_activation_reduces_to_the_linear_dae_theory(problem):
    """A linear 'ReLU net' with MSE-mean + decay is the linear WDAE at the effective parameters."""
    data, spectrum = problem
    lr, weight_decay = 2.0, 0.002
    effective = effective_linear_parameters(lr, weight_decay, 0.0, D)
    run = nonlinear.train_relu_autoencoder(
        data,
        spectrum.eigenvalues,
        spectrum.eigenvectors,
        H,
        lr,
        3000,
        weight_decay=weight_decay,
        init_std=1e-3,
        seed=1,
        modes=3,
        record_every=100,
        activation="linear",
        dtype="float64",
    )
    # the same trajectory from the linear trainer (row convention W1 = w1^T, W2 = w2^T)
    w1, w2 = nonlinear.initial_weights(D, H, 1e-3, 1, torch.float64)
    reference = linear.train_eigenbasis(
        spectrum.eigenvalues,
        spectrum.eigenvectors,
        w1.T.numpy(),
        w2.T.numpy(),
        effective["lr"],
        3000,
        decay=effective["decay"],
        steps=run.epochs,
        dtype="float64",
    )
    assert np.allclose(run.corrected, reference.projections[:, :3], atol=1e-10)
    # and the learned plateau is the S7 fixed point of the effective parameters
    lam = spectrum.eigenvalues[0]
    assert run.corrected[-1, 0] == pytest.approx(
        theory.fixed_point(lam, 0.0, effective["decay"]), abs=1e-3
    )


def test_identical_seeds_give_bitwise_identical_cpu_results(problem):
    data, spectrum = problem
    args = dict(hidden=H, lr=0.9, epochs=40, noise_std=2.0, seed=9, modes=3, record_every=10)
    first = nonlinear.train_relu_autoencoder(
        data, spectrum.eigenvalues, spectrum.eigenvectors, **args
    )
    second = nonlinear.train_relu_autoencoder(
        data, spectrum.eigenvalues, spectrum.eigenvectors, **args
    )
    assert np.array_equal(first.faithful, second.faithful)
    assert np.array_equal(first.corrected, second.corrected)
    assert first.epochs.tolist() == [0, 10, 20, 30, 40]


def test_noisy_and_clean_metric_differ_only_for_the_dae(problem):
    data, spectrum = problem
    args = dict(hidden=H, lr=0.9, epochs=20, seed=2, modes=2, record_every=10)
    plain = nonlinear.train_relu_autoencoder(
        data, spectrum.eigenvalues, spectrum.eigenvectors, **args
    )
    assert np.array_equal(plain.faithful, plain.corrected)
    noisy = nonlinear.train_relu_autoencoder(
        data, spectrum.eigenvalues, spectrum.eigenvectors, noise_std=2.0, **args
    )
    assert not np.allclose(noisy.faithful, noisy.corrected)


def test_divergence_and_bad_activation(problem):
    data, spectrum = problem
    with pytest.raises(stability.DivergenceError, match="detected at epoch"):
        nonlinear.train_relu_autoencoder(
            data,
            spectrum.eigenvalues,
            spectrum.eigenvectors,
            H,
            1e3,
            200,
            init_std=0.5,
            record_every=5,
            activation="linear",
        )
    with pytest.raises(ValueError, match="valid: relu, linear"):
        nonlinear.train_relu_autoencoder(
            data, spectrum.eigenvalues, spectrum.eigenvectors, H, 0.1, 1, activation="tanh"
        )


def test_metric_through_the_hidden_layer_equals_the_output_projection():
    rng = np.random.default_rng(3)
    hidden = torch.as_tensor(np.maximum(rng.standard_normal((200, 12)), 0.0))
    w2 = torch.as_tensor(rng.standard_normal((30, 12)))
    directions = torch.as_tensor(np.linalg.qr(rng.standard_normal((30, 4)))[0])
    data_projections = torch.as_tensor(rng.standard_normal((200, 4)))
    strengths = torch.as_tensor(rng.random(4) + 1.0)
    expected = nonlinear.mapping_metric(hidden @ w2.T, data_projections, directions, strengths)
    # what the trainer computes: the hidden layer against W2^T V
    got = nonlinear.mapping_metric(hidden, data_projections, w2.T @ directions, strengths)
    assert torch.allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("weight_decay", "noise_std"), [(0.0, 0.0), (0.01, 0.0), (0.0, 0.5)])
def test_a_learning_rate_just_above_the_bound_is_caught(problem, weight_decay, noise_std):
    """Finding 6 for Fig. 6's trainer: its linear limit (exact here, activation linear) swings
    just above the bound; the message states the bound with the model's decay and noise."""
    data, spectrum = problem
    bound = models.nonlinear_stability(spectrum.eigenvalues, D, weight_decay, noise_std, H)
    with pytest.raises(stability.OscillationError) as raised:
        nonlinear.train_relu_autoencoder(
            data,
            spectrum.eigenvalues,
            spectrum.eigenvectors,
            H,
            1.1 * bound.value,
            2000,
            weight_decay=weight_decay,
            noise_std=noise_std,
            init_std=0.01,
            record_every=10,
            activation="linear",
        )
    message = str(raised.value)
    assert "training oscillates instead of converging: the mapping metric m_i of mode" in message
    assert f"its linear limit is stable only for lr < {bound})" in message
    assert f"gamma_eff = wd D/2 = {weight_decay * D / 2:g}" in message


def test_below_the_bound_no_oscillation_and_invalid_settings(problem):
    data, spectrum = problem
    bound = models.nonlinear_stability_bound(spectrum.eigenvalues, D, 0.0, 0.0, H)
    args = (data, spectrum.eigenvalues, spectrum.eigenvectors, H)
    run = nonlinear.train_relu_autoencoder(
        *args, 0.9 * bound, 1000, init_std=0.01, record_every=10, activation="linear"
    )
    assert run.epochs[-1] == 1000 and run.extra["stability_bound"] == bound
    with pytest.raises(driver.TrainingSettingsError, match="weight_decay = nan"):
        nonlinear.train_relu_autoencoder(*args, 0.1, 10, weight_decay=float("nan"))
