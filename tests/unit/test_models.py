"""The one model table: regularisers per model, stability bounds, effective parameters."""

import math

import pytest
import torch

from lindae import models

LINEAR = {"noise": 0.5, "decay": 0.1, "hidden": 8}
NONLINEAR = {"noise_std": 2.0, "weight_decay": 0.0045}


def test_the_three_models_in_the_authors_order():
    assert list(models.MODELS) == ["AE", "WDAE", "DAE"]
    assert [(m.noisy, m.decayed) for m in models.MODELS.values()] == [
        (False, False),
        (False, True),
        (True, False),
    ]
    assert all(name == spec.name for name, spec in models.MODELS.items())
    assert models.model("DAE") is models.MODELS["DAE"]
    with pytest.raises(ValueError, match="unknown model 'VAE'; valid: AE, WDAE, DAE"):
        models.model("VAE")


@pytest.mark.parametrize(
    ("name", "linear", "nonlinear"),
    [
        ("AE", (0.0, 0.0), (0.0, 0.0)),
        ("WDAE", (0.0, 0.1), (0.0, 0.0045)),
        ("DAE", (0.5, 0.0), (2.0, 0.0)),
    ],
)
def test_regularisers_per_model(name, linear, nonlinear):
    assert models.regularisers(name, 0.5, 0.1) == linear
    assert models.linear_regularisers(name, LINEAR) == linear  # (noise, decay)
    assert models.nonlinear_regularisers(name, NONLINEAR) == nonlinear  # (noise std, decay)


def test_unknown_model_has_no_regularisers():
    with pytest.raises(ValueError, match="unknown model"):
        models.linear_regularisers("VAE", LINEAR)


def test_stability_bounds():
    assert models.stability_bound(4.0) == 0.25
    # the ReLU models' bound is the linear one at the effective learning rate 2 lr / D
    bound = models.nonlinear_stability_bound(4.0, 784)
    assert bound == pytest.approx(784 / (2 * 4.0), rel=1e-15)
    effective = models.effective_linear_parameters(bound, 0.0, 0.0, 784)
    assert effective["lr"] == pytest.approx(models.stability_bound(4.0), rel=1e-15)


@pytest.mark.parametrize(
    ("noise", "decay", "value", "formula"),
    [
        (0.0, 0.0, 1 / 4, "1/lambda_bar_1"),  # AE
        (0.5, 0.0, 1 / 4, "1/lambda_bar_1"),  # DAE: sigma^2 cancels at the fixed point
        (0.0, 1.0, 1 / 3, "1/(lambda_bar_1 - gamma)"),  # WDAE
        (0.0, 3.0, 1 / 3, "1/gamma"),  # decay beyond lambda/2: the across direction binds
        (0.0, 5.0, 2 / 9, "2/(lambda_bar_1 + gamma)"),  # the mode is killed: at the origin
    ],
)
def test_one_mode_bound_includes_noise_and_decay(noise, decay, value, formula):
    bound = models.linear_stability(4.0, noise, decay)
    assert bound.value == pytest.approx(value, rel=1e-12)
    assert bound.formula == formula
    assert f"sigma^2 = {noise:g}, gamma = {decay:g}" in bound.terms
    assert str(bound) == f"{formula} = {value:.4g} ({bound.terms})"


def _fixed_point_hessian(lam, hidden, noise, decay):
    """The top Hessian eigenvalue of the eigenbasis loss at the minimum GD reaches, by autograd,
    and the gradient norm there (the point is built, not trained)."""
    lam = torch.tensor(lam, dtype=torch.float64)
    dimension = len(lam)
    a = torch.zeros(dimension, hidden, dtype=torch.float64)
    for unit in range(min(hidden, dimension)):
        if lam[unit] > decay:
            a[unit, unit] = torch.sqrt((lam[unit] - decay) / (lam[unit] + noise))
    eye = torch.eye(dimension, dtype=torch.float64)

    def loss(flat):
        a = flat[: dimension * hidden].reshape(dimension, hidden)
        b = flat[dimension * hidden :].reshape(hidden, dimension)
        w = a @ b
        return (
            0.5 * torch.trace((w - eye).T @ torch.diag(lam) @ (w - eye))
            + 0.5 * noise * (w**2).sum()
            + 0.5 * decay * ((a**2).sum() + (b**2).sum())
        )

    point = torch.cat([a.flatten(), a.T.flatten()]).requires_grad_(True)
    (gradient,) = torch.autograd.grad(loss(point), point)
    hessian = torch.autograd.functional.hessian(loss, point.detach())
    return float(torch.linalg.eigvalsh(hessian)[-1]), float(gradient.norm())


@pytest.mark.parametrize(
    ("lam", "hidden", "noise", "decay"),
    [
        ([5.0, 2.846, 1.535, 1.27, 0.935, 0.432], 3, 0.0, 0.0),
        ([5.0, 2.846, 1.535, 1.27, 0.935, 0.432], 3, 2.0, 0.0),
        ([5.0, 2.846, 1.535, 1.27, 0.935, 0.432], 3, 0.0, 0.5),  # modes 1 and 2 couple
        ([5.0, 2.846, 1.535, 1.27, 0.935, 0.432], 3, 0.0, 3.0),  # mode 1 and killed mode 2
        ([5.0, 2.846, 1.535, 1.27, 0.935, 0.432], 3, 0.7, 1.2),
        ([3.1, 2.9, 0.3, 0.2], 4, 0.0, 0.4),  # an unused unit
        ([3.1, 2.9, 0.3, 0.2], 1, 0.0, 2.5),
        ([1.0, 0.5], 2, 0.0, 2.0),  # every mode killed
    ],
)
def test_bound_is_two_over_the_largest_curvature_at_the_minimum(lam, hidden, noise, decay):
    """The block formula of linear_stability against the full Hessian of the loss."""
    curvature, gradient = _fixed_point_hessian(lam, hidden, noise, decay)
    assert gradient < 1e-12  # a minimum GD converges to
    bound = models.linear_stability(lam, noise, decay, hidden)
    assert bound.value == pytest.approx(2.0 / curvature, rel=1e-9), bound
    assert models.stability_bound(lam, noise, decay, hidden) == bound.value


def test_the_bound_refuses_what_is_not_a_number():
    for bad in (math.nan, math.inf, -1.0):
        with pytest.raises(ValueError, match="must be a finite number >= 0"):
            models.linear_stability([4.0], decay=bad)
        with pytest.raises(ValueError, match="must be a finite number >= 0"):
            models.linear_stability([4.0], noise=bad)
    with pytest.raises(ValueError, match="lambda_bar = nan"):
        models.linear_stability([math.nan, 1.0])
    assert models.linear_stability([0.0, 0.0]).value == math.inf  # no curvature: no bound


def test_nonlinear_bound_uses_the_effective_decay_and_noise():
    lam, dimension = [32.0, 2.9, 2.8], 784
    bound = models.nonlinear_stability(lam, dimension, 0.0045, 2.0, hidden=256)
    linear = models.linear_stability(lam, 4.0, 0.0045 * dimension / 2, hidden=256)
    assert bound.value == pytest.approx(dimension / 2 * linear.value, rel=1e-15)
    assert bound.formula == "(D/2) 1/(lambda_bar_1 - gamma_eff)"
    assert "D = 784" in bound.terms and "gamma_eff = wd D/2 = 1.764" in bound.terms
    assert models.nonlinear_stability(lam, dimension).formula == "D/(2 lambda_bar_1)"
    assert models.nonlinear_stability_bound(lam, dimension, 0.0045, 2.0, 256) == bound.value


def test_effective_parameters_of_the_paper():
    mnist = models.effective_linear_parameters(0.9, 0.0045, 2.0, 784)
    assert mnist["lr"] == pytest.approx(2.296e-3, rel=1e-3)
    assert mnist["decay"] == pytest.approx(1.764, rel=1e-12)
    assert mnist["noise"] == 4.0
    cifar = models.effective_linear_parameters(0.9, 0.0045, 2.0, 3072)
    assert cifar["lr"] == pytest.approx(5.859e-4, rel=1e-3)
    assert cifar["decay"] == pytest.approx(6.912, rel=1e-12)
