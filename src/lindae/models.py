"""The three autoencoders of the paper and how each is regularised: the one model table.

AE (no regulariser), WDAE (weight decay only) and DAE (input noise only). Which of the two
regularisers a model uses is stated once, in :data:`MODELS`; the *amounts* come from the
config (``linear.noise``/``linear.decay`` for the linear models, ``nonlinear.noise_std``/
``nonlinear.weight_decay`` for the ReLU ones) and are mapped onto a model by
:func:`regularisers`. Also here: the stability bound of full-batch gradient descent and the
effective linear parameters of the ReLU models' loss, both facts about the models.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Model",
    "MODELS",
    "model",
    "regularisers",
    "linear_regularisers",
    "nonlinear_regularisers",
    "stability_bound",
    "effective_linear_parameters",
    "nonlinear_stability_bound",
]


@dataclass(frozen=True)
class Model:
    """One autoencoder variant: whether it is trained with input noise and/or weight decay."""

    name: str
    noisy: bool
    decayed: bool


#: Every model, in the authors' creation order (which fixes the order of the init draws).
MODELS: dict[str, Model] = {
    "AE": Model("AE", noisy=False, decayed=False),
    "WDAE": Model("WDAE", noisy=False, decayed=True),
    "DAE": Model("DAE", noisy=True, decayed=False),
}


def model(name: str) -> Model:
    """The :class:`Model` called ``name``; a ValueError lists the valid names."""
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; valid: {', '.join(MODELS)}") from None


def regularisers(name: str, noise: float, decay: float) -> tuple[float, float]:
    """(noise, decay) that model ``name`` trains with, given the configured amounts."""
    spec = model(name)
    return (noise if spec.noisy else 0.0, decay if spec.decayed else 0.0)


def linear_regularisers(name: str, settings) -> tuple[float, float]:
    """(noise variance sigma^2, weight decay gamma) of a linear model (config ``linear``)."""
    return regularisers(name, settings["noise"], settings["decay"])


def nonlinear_regularisers(name: str, settings) -> tuple[float, float]:
    """(input-noise std, SGD weight decay) of a ReLU model (config ``nonlinear``)."""
    return regularisers(name, settings["noise_std"], settings["weight_decay"])


def stability_bound(top_eigenvalue: float) -> float:
    """Largest stable full-batch GD step near the top mode's fixed point: lr < 1 / lambda_bar_1."""
    return 1.0 / top_eigenvalue


def effective_linear_parameters(
    lr: float, weight_decay: float, noise_std: float, dimension: int
) -> dict[str, float]:
    """Linear-theory parameters equivalent to mean-squared error + SGD weight decay.

    The mean over N*D entries is (2/D) times the loss the theory uses, so alpha_eff = 2 alpha / D,
    gamma_eff = wd D / 2 and sigma^2_eff = std^2 (exact for a linear network).
    """
    return {
        "lr": 2.0 * lr / dimension,
        "decay": weight_decay * dimension / 2.0,
        "noise": noise_std**2,
    }


def nonlinear_stability_bound(top_eigenvalue: float, dimension: int) -> float:
    """The ReLU models' step bound from their linear limit: alpha_eff < 1/lambda_bar_1, i.e.
    lr < D / (2 lambda_bar_1)."""
    return dimension / 2.0 * stability_bound(top_eigenvalue)
