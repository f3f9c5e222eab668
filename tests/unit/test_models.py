"""The one model table: regularisers per model, stability bounds, effective parameters."""

import pytest

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


def test_effective_parameters_of_the_paper():
    mnist = models.effective_linear_parameters(0.9, 0.0045, 2.0, 784)
    assert mnist["lr"] == pytest.approx(2.296e-3, rel=1e-3)
    assert mnist["decay"] == pytest.approx(1.764, rel=1e-12)
    assert mnist["noise"] == 4.0
    cifar = models.effective_linear_parameters(0.9, 0.0045, 2.0, 3072)
    assert cifar["lr"] == pytest.approx(5.859e-4, rel=1e-3)
    assert cifar["decay"] == pytest.approx(6.912, rel=1e-12)
