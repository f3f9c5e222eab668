"""Linear AE / WDAE / DAE trainers: exactness, theory tracking, divergence, devices, seeds."""

import numpy as np
import pytest
import torch

from lindae import models, theory
from lindae.spectra import second_moment_spectrum
from lindae.training import driver, linear, linear_init, stability

N, D, H = 300, 24, 6


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(11)
    # anisotropic data with a clear spectrum: scaled uniform pixels in [0, 1]
    data = rng.random((N, D)) * np.linspace(1.5, 0.05, D)
    return data, second_moment_spectrum(data)


def test_record_steps():
    assert linear.record_steps is driver.record_steps
    assert linear.record_steps(300, 100).tolist() == [0, 1, 100, 101, 200, 201, 300]
    assert linear.record_steps(5, 10).tolist() == [0, 1, 5]  # the last epoch, always
    assert linear.record_steps(250, 100).tolist() == [0, 1, 100, 101, 200, 201, 250]


def test_initial_weights_follow_the_authors_draw_order():
    generator = torch.Generator().manual_seed(321)
    draws = [1e-4 * torch.randn(shape, generator=generator) for shape in [(D, H), (H, D)] * 3]
    for index, model in enumerate(models.MODELS):
        w1, w2 = linear_init.initial_weights(D, H, 1e-4, 321, model)
        assert np.array_equal(w1, draws[2 * index].double().numpy())
        assert np.array_equal(w2, draws[2 * index + 1].double().numpy())
    with pytest.raises(ValueError, match="unknown model 'VAE'"):
        linear_init.initial_weights(D, H, 1e-4, 321, "VAE")


def test_singular_values_from_the_core_equal_the_full_svd(problem):
    _, spectrum = problem
    w1, w2 = linear_init.initial_weights(D, H, 0.3, 5, "AE")
    trajectory = linear.train_eigenbasis(
        spectrum.eigenvalues, spectrum.eigenvectors, w1, w2, 0.01, 0, dtype="float64"
    )
    full = np.linalg.svd(w1 @ w2, compute_uv=False)[:H]
    assert np.allclose(trajectory.singular_values[0], full, rtol=1e-12)
    assert np.allclose(
        trajectory.projections[0],
        np.diag(spectrum.eigenvectors.T @ (w1 @ w2) @ spectrum.eigenvectors),
        atol=1e-15,
    )


@pytest.mark.parametrize("model", ["AE", "WDAE", "DAE"])
def test_eigenbasis_equals_dataspace(problem, model):
    """Invariant 11: both algorithms give the same trajectory (float64: <= 1e-6 relative)."""
    data, spectrum = problem
    w1, w2 = linear_init.initial_weights(D, H, 1e-2, 321, model)
    noise = 0.5 if model == "DAE" else 0.0
    decay = 0.1 if model == "WDAE" else 0.0
    steps = linear.record_steps(400, 100)
    args = dict(lr=0.05, epochs=400, decay=decay, noise=noise, steps=steps, dtype="float64")
    fast = linear.train_eigenbasis(spectrum.eigenvalues, spectrum.eigenvectors, w1, w2, **args)
    slow = linear.train_dataspace(data, spectrum.eigenvalues, spectrum.eigenvectors, w1, w2, **args)
    scale = np.abs(slow.singular_values).max()
    assert np.abs(fast.singular_values - slow.singular_values).max() / scale <= 1e-6
    assert np.abs(fast.projections - slow.projections).max() / scale <= 1e-6
    assert np.allclose(fast.loss, slow.loss, rtol=1e-9)
    assert fast.singular_values[-1, 0] > 10 * fast.singular_values[0, 0]  # it learned


def test_initial_loss_is_half_the_trace(problem):
    _, spectrum = problem
    w1, w2 = linear_init.initial_weights(D, H, 1e-4, 321, "AE")
    trajectory = linear.train_eigenbasis(
        spectrum.eigenvalues, spectrum.eigenvectors, w1, w2, 0.01, 0
    )
    assert trajectory.loss[0] == pytest.approx(0.5 * spectrum.trace, rel=1e-3)


@pytest.mark.parametrize("model", ["AE", "WDAE", "DAE"])
def test_decoupled_init_tracks_s7_per_mode(problem, model):
    """Invariant 5 (matrix GD): per-mode bound, and V^T W V stays diagonal."""
    _, spectrum = problem
    noise = 0.3 if model == "DAE" else 0.0
    decay = 0.02 if model == "WDAE" else 0.0
    lam = spectrum.eigenvalues[:H]
    lr = 0.06 / lam[0]
    target = theory.fixed_point(lam, noise, decay)
    u0 = 1e-3 * target.min()
    w1, w2 = linear_init.decoupled_weights(spectrum.eigenvectors, H, u0)
    epochs = 3000
    steps = np.arange(0, epochs + 1, 50)
    run = linear.train_eigenbasis(
        spectrum.eigenvalues,
        spectrum.eigenvectors,
        w1,
        w2,
        lr,
        epochs,
        decay,
        noise,
        steps=steps,
        dtype="float64",
    )
    closed = theory.mode_strength(steps[:, None], lam, noise, decay, lr, u0)
    a = lam - decay
    bound = 0.2 * lr * a * np.log(target / u0) * target + 1e-9
    error = np.abs(run.projections[:, :H] - closed).max(axis=0)
    assert np.all(error <= bound)
    assert np.abs(run.projections[:, H:]).max() <= 1e-12
    # singular values are the per-mode mappings themselves
    assert np.allclose(
        np.sort(run.singular_values[-1])[::-1], np.sort(run.projections[-1, :H])[::-1], atol=1e-12
    )


def test_off_diagonal_entries_stay_zero(problem):
    data, spectrum = problem
    w1, w2 = linear_init.decoupled_weights(spectrum.eigenvectors, H, 1e-4)
    lr, decay, noise = 0.05, 0.0, 0.2
    a = torch.as_tensor(spectrum.eigenvectors.T @ w1)
    b = torch.as_tensor(w2 @ spectrum.eigenvectors)
    lam = torch.as_tensor(spectrum.eigenvalues[:, None])
    for _ in range(500):  # the trainer's update, written out to inspect the full matrix
        scaled = (lam + noise) * a
        grad_a = scaled @ (b @ b.T) - lam * b.T + decay * a
        grad_b = (a.T @ scaled) @ b - (lam * a).T + decay * b
        a, b = a - lr * grad_a, b - lr * grad_b
    product = (a @ b).numpy()
    off = product - np.diag(np.diag(product))
    assert np.abs(off).max() <= 1e-12


def test_wdae_kills_modes_below_the_decay(problem):
    """Invariant 8: with m = #{lam_i > gamma}, the (m+1)-th singular value stays <= 1e-4."""
    _, spectrum = problem
    decay = float(np.mean(spectrum.eigenvalues[2:4]))
    m = int(np.sum(spectrum.eigenvalues > decay))
    assert m < H
    w1, w2 = linear_init.initial_weights(D, H, 1e-4, 321, "WDAE")
    run = linear.train_eigenbasis(
        spectrum.eigenvalues,
        spectrum.eigenvectors,
        w1,
        w2,
        0.1,
        3000,
        decay=decay,
        steps=np.arange(0, 3001, 100),
        dtype="float64",
    )
    assert run.singular_values[:, m].max() <= 1e-4
    assert run.singular_values[-1, 0] > 0.01  # modes above the decay are learned


def test_divergent_run_names_epoch_and_bound(problem):
    _, spectrum = problem
    w1, w2 = linear_init.initial_weights(D, H, 1e-1, 321, "AE")
    lr = 50.0 / spectrum.eigenvalues[0]
    with pytest.raises(stability.DivergenceError) as raised:
        linear.train_eigenbasis(
            spectrum.eigenvalues,
            spectrum.eigenvectors,
            w1,
            w2,
            lr,
            2000,
            steps=linear.record_steps(2000, 100),
        )
    message = str(raised.value)
    assert "detected at epoch" in message
    assert f"{1 / spectrum.eigenvalues[0]:.4g}" in message and "lower the learning rate" in message
    assert "(loss nan; last finite loss " in message and "No result file was written" in message


def test_training_is_deterministic_on_cpu(problem):
    data, spectrum = problem
    w1, w2 = linear_init.initial_weights(D, H, 1e-2, 321, "DAE")
    args = dict(lr=0.05, epochs=50, noise=0.5, steps=[0, 50], batch_size=64, seed=3)
    first = linear.train_sampled_noise(
        data, spectrum.eigenvalues, spectrum.eigenvectors, w1, w2, **args
    )
    second = linear.train_sampled_noise(
        data, spectrum.eigenvalues, spectrum.eigenvectors, w1, w2, **args
    )
    assert np.array_equal(first.projections, second.projections)


def test_sampled_noise_gradient_averages_to_the_marginalised_one(problem):
    """Invariant 10: Monte-Carlo mean of the sampled-noise gradient matches the S1 gradient."""
    data, _ = problem
    rng = np.random.default_rng(4)
    w1, w2 = 0.1 * rng.standard_normal((D, H)), 0.1 * rng.standard_normal((H, D))
    noise, draws = 0.5, 4000
    x = torch.as_tensor(data)
    p, q = torch.as_tensor(w1), torch.as_tensor(w2)
    residual = (x @ p @ q - x) / N
    exact = x.T @ (residual @ q.T) + noise * p @ (q @ q.T)
    generator = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(draws):
        noisy = x + np.sqrt(noise) * torch.randn(x.shape, generator=generator, dtype=x.dtype)
        r = (noisy @ p @ q - x) / N
        samples.append((noisy.T @ (r @ q.T)).numpy())
    samples = np.array(samples)
    mean, error = samples.mean(axis=0), samples.std(axis=0) / np.sqrt(draws)
    assert np.all(np.abs(mean - exact.numpy()) <= 4 * error + 1e-12)
    # and the loss: E||x - W(x + e)||^2 = ||x - Wx||^2 + sigma^2 ||W||_F^2
    w = w1 @ w2
    clean = np.sum((data - data @ w) ** 2) / N
    expected = clean + noise * np.sum(w * w)
    losses = [
        np.sum((data - (data + np.sqrt(noise) * rng.standard_normal(data.shape)) @ w) ** 2) / N
        for _ in range(2000)
    ]
    assert abs(np.mean(losses) - expected) <= 4 * np.std(losses) / np.sqrt(len(losses))


def test_full_batch_sampled_noise_tracks_the_marginalised_dae(problem):
    data, spectrum = problem
    w1, w2 = linear_init.initial_weights(D, H, 1e-2, 321, "DAE")
    steps = [0, 500, 1000]
    args = dict(lr=0.05, epochs=1000, noise=0.2, steps=steps, dtype="float64")
    marginal = linear.train_eigenbasis(spectrum.eigenvalues, spectrum.eigenvectors, w1, w2, **args)
    sampled = linear.train_sampled_noise(
        data, spectrum.eigenvalues, spectrum.eigenvectors, w1, w2, seed=1, **args
    )
    top = marginal.projections[-1, :3]
    assert np.allclose(sampled.projections[-1, :3], top, atol=0.05)


# ------------------------------------------------------- stability: oscillation, final epoch

REGULARISERS = {"AE": (0.0, 0.0), "WDAE": (0.0, 0.5), "DAE": (0.5, 0.0)}


def test_the_issue_case_mode_1_swinging_just_above_one_over_lambda_is_caught(problem):
    """Finding 6 as reported: at 1.0-1.2 x 1/lambda_bar_1 mode 1 swung for the whole run and
    the record was saved (only the claims noticed later)."""
    _, spectrum = problem
    w1, w2 = linear_init.initial_weights(D, H, 1e-4, 321, "AE")
    lr = 1.1 / spectrum.eigenvalues[0]
    with pytest.raises(
        stability.DivergenceError, match="training oscillates instead of converging"
    ):
        linear.train_eigenbasis(
            spectrum.eigenvalues,
            spectrum.eigenvectors,
            w1,
            w2,
            lr,
            3000,
            steps=linear.record_steps(3000, 100),
        )


@pytest.mark.parametrize("factor", [1.05, 1.15])
@pytest.mark.parametrize("model", ["AE", "WDAE", "DAE"])
def test_a_learning_rate_just_above_the_bound_is_caught(problem, model, factor):
    """Finding 6: between 1.0 and 1.2 x the bound the top mode swings for ever; the run stops
    with the bound of this model (its sigma^2 and gamma) instead of saving a record."""
    _, spectrum = problem
    noise, decay = REGULARISERS[model]
    bound = models.linear_stability(spectrum.eigenvalues, noise, decay, H)
    w1, w2 = linear_init.initial_weights(D, H, 1e-4, 321, model)
    with pytest.raises(stability.OscillationError) as raised:
        linear.train_eigenbasis(
            spectrum.eigenvalues,
            spectrum.eigenvectors,
            w1,
            w2,
            factor * bound.value,
            3000,
            decay=decay,
            noise=noise,
            steps=linear.record_steps(3000, 100),
        )
    message = str(raised.value)
    assert message.startswith("training oscillates instead of converging: v_i^T W v_i of mode")
    assert f"full-batch GD is stable only for lr < {bound})" in message
    assert f"sigma^2 = {noise:g}, gamma = {decay:g}" in message
    assert message.endswith("lower the learning rate in the config. No result file was written.")


@pytest.mark.parametrize("model", ["AE", "WDAE", "DAE"])
def test_just_below_the_bound_the_run_converges(problem, model):
    _, spectrum = problem
    noise, decay = REGULARISERS[model]
    bound = models.linear_stability(spectrum.eigenvalues, noise, decay, H)
    w1, w2 = linear_init.initial_weights(D, H, 1e-4, 321, model)
    run = linear.train_eigenbasis(
        spectrum.eigenvalues,
        spectrum.eigenvectors,
        w1,
        w2,
        0.97 * bound.value,
        3000,
        decay=decay,
        noise=noise,
        steps=linear.record_steps(3000, 100),
    )
    top = spectrum.eigenvalues[0]
    assert run.projections[-1, 0] == pytest.approx((top - decay) / (top + noise), abs=1e-4)
    assert run.extra["stability_bound"] == bound.value


def test_data_space_and_sampled_noise_runs_are_watched_too(problem):
    data, spectrum = problem
    w1, w2 = linear_init.initial_weights(D, H, 1e-4, 321, "DAE")
    bound = models.stability_bound(spectrum.eigenvalues, 0.5, 0.0, H)
    common = dict(lr=1.1 * bound, epochs=2000, noise=0.5, steps=linear.record_steps(2000, 100))
    with pytest.raises(stability.OscillationError, match="lr < 1/lambda_bar_1 = "):
        linear.train_dataspace(data, spectrum.eigenvalues, spectrum.eigenvectors, w1, w2, **common)
    with pytest.raises(stability.OscillationError, match="lr < 1/lambda_bar_1 = "):
        linear.train_sampled_noise(
            data, spectrum.eigenvalues, spectrum.eigenvectors, w1, w2, seed=1, **common
        )


def test_invalid_settings_fail_before_training(problem):
    """A NaN decay trained into NaN weights and a divergence message contradicting itself."""
    _, spectrum = problem
    w1, w2 = linear_init.initial_weights(D, H, 1e-4, 321, "WDAE")
    args = (spectrum.eigenvalues, spectrum.eigenvectors, w1, w2)
    with pytest.raises(driver.TrainingSettingsError, match="decay = nan: must be a finite"):
        linear.train_eigenbasis(*args, 0.01, 10, decay=float("nan"))
    with pytest.raises(driver.TrainingSettingsError, match="learning rate lr = inf"):
        linear.train_eigenbasis(*args, float("inf"), 10)


def test_the_final_epoch_is_always_recorded(problem):
    """Finding 7: with epochs not a multiple of record_every the last epochs were trained but
    never recorded, and 'final' values came from an earlier epoch."""
    _, spectrum = problem
    w1, w2 = linear_init.initial_weights(D, H, 1e-2, 321, "AE")
    args = (spectrum.eigenvalues, spectrum.eigenvectors, w1, w2, 0.05, 250)
    run = linear.train_eigenbasis(*args, steps=linear.record_steps(250, 100))
    assert run.steps.tolist() == [0, 1, 100, 101, 200, 201, 250]
    only_the_end = linear.train_eigenbasis(*args, steps=[250])
    assert np.array_equal(run.projections[-1], only_the_end.projections[-1])
    assert np.array_equal(run.singular_values[-1], only_the_end.singular_values[-1])


def test_final_values_in_the_agreement_table_are_the_final_epochs(problem):
    """Finding 7 downstream: the agreement table's final_projection is the last epoch's."""
    from lindae.agreement import linear_run_agreement

    _, spectrum = problem
    w1, w2 = linear_init.initial_weights(D, H, 1e-2, 321, "AE")
    run = linear.train_eigenbasis(
        spectrum.eigenvalues,
        spectrum.eigenvectors,
        w1,
        w2,
        0.05,
        250,
        steps=linear.record_steps(250, 100),
    )
    record = {"steps": run.steps, "projections": run.projections, "metadata": {"init_u0": 1e-4}}
    settings = {"lr": {"x": 0.05}, "hidden": {"x": H}, "epochs": 250, "record_every": 100}
    settings |= {"noise": 0.0, "decay": 0.0}
    table = linear_run_agreement("x", "AE", spectrum.eigenvalues, record, settings, [1])
    assert np.array_equal(table["final_projection"].to_numpy(), run.projections[-1, :H])
