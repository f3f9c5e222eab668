"""The three autoencoders of the paper and how each is regularised: the one model table.

AE (no regulariser), WDAE (weight decay only) and DAE (input noise only). Which of the two
regularisers a model uses is stated once, in :data:`MODELS`; the *amounts* come from the
config (``linear.noise``/``linear.decay`` for the linear models, ``nonlinear.noise_std``/
``nonlinear.weight_decay`` for the ReLU ones) and are mapped onto a model by
:func:`regularisers`. Also here: the stability bound of full-batch gradient descent
(:func:`linear_stability`, derived in its docstring), the learning rate derived from it
(:func:`auto_learning_rate`: ``linear.lr.<dataset>: auto``) and the effective linear
parameters of the ReLU models' loss, all facts about the models.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .lazy import lazy_import

np = lazy_import("numpy")

__all__ = [
    "Model",
    "MODELS",
    "model",
    "regularisers",
    "linear_regularisers",
    "nonlinear_regularisers",
    "StabilityBound",
    "linear_stability",
    "stability_bound",
    "AutoLearningRate",
    "auto_learning_rate",
    "linear_learning_rate",
    "effective_linear_parameters",
    "nonlinear_stability",
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


@dataclass(frozen=True)
class StabilityBound:
    """The largest learning rate at which full-batch GD can settle on a model's minimum.

    ``value`` is the bound itself (``inf`` when the loss has no curvature, e.g. all-zero data);
    ``formula`` says which curvature binds, e.g. ``1/(lambda_bar_1 - gamma)``; ``terms`` lists
    the numbers it was computed from.
    """

    value: float
    formula: str
    terms: str

    def __str__(self) -> str:
        return f"{self.formula} = {self.value:.4g} ({self.terms})"


def _check_amount(name: str, value: float) -> float:
    """``value`` as a float; a ValueError naming it unless it is finite and >= 0."""
    value = float(value)
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f"{name} = {value!r}: must be a finite number >= 0")
    return value


def _largest_eigenvalue(matrix: list[list[float]]) -> float:
    return float(np.linalg.eigvalsh(np.array(matrix, dtype=float))[-1])


def linear_stability(
    eigenvalues: float | Sequence[float],
    noise: float = 0.0,
    decay: float = 0.0,
    hidden: int | None = None,
) -> StabilityBound:
    """Stability bound of full-batch GD on a linear (D/WD)AE with noise sigma^2 and decay gamma.

    ``eigenvalues``: the spectrum lambda_bar_1 >= lambda_bar_2 >= ... of Sigma_bar (a single
    number is a one-mode spectrum); ``hidden``: H (default: as many units as modes).

    Derivation. In the eigenbasis (A = V^T W1, B = W2 V, W = A B; see
    :mod:`lindae.training.linear`) the loss is

        L = 1/2 tr((W - I)^T Lambda (W - I)) + sigma^2/2 ||W||^2 + gamma/2 (||A||^2 + ||B||^2),

    and GD with step lr converges to a minimum only if lr h < 2 for the largest eigenvalue h of
    the Hessian there (a step along that direction is multiplied by 1 - lr h). At the minimum
    GD reaches from a small (or the decoupled) init, the L = min(H, #{lambda_bar_i > gamma})
    top modes are learned, each by one hidden unit with balanced weights a_i = b_i = w_i,
    w_i^2 = (lambda_bar_i - gamma)/(lambda_bar_i + sigma^2); the rest are zero. With
    s_i = lambda_bar_i + sigma^2 the Hessian splits into blocks:

    * one mode i learned (variables a_i, b_i): [[lambda_i, lambda_i - 2 gamma], [., lambda_i]],
      eigenvalues 2 (lambda_bar_i - gamma) (along a_i = b_i: the mapping itself) and 2 gamma
      (across). sigma^2 enters the curvature as s_i w_i^2 and cancels with w_i^2, so the DAE's
      bound is the AE's, 1/lambda_bar_1 (sigma^2 only matters off balance, where the top
      curvature s_1 (a_1^2 + b_1^2) exceeds 2 lambda_bar_1; a small init stays balanced);
    * learned i, other learned j (mode j leaking into i's unit and back, 4 variables):
      rows [s_j w_i^2 + gamma, s_j w_i w_j, -gamma, 0], [., s_j w_j^2 + gamma, 0, -gamma],
      [., ., s_i w_i^2 + gamma, s_i w_i w_j], [., ., ., s_i w_j^2 + gamma];
    * learned i, unlearned j: [[s_j w_i^2 + gamma, -lambda_bar_j], [., lambda_bar_i]];
    * an unused unit (H > L), any mode j: gamma + gamma (j learned) or gamma + lambda_bar_j.

    Without weight decay all of these are at most 2 lambda_bar_1; with it the blocks coupling
    two modes can exceed 2 (lambda_bar_1 - gamma). Each block, with the signs of its B
    variables flipped, is a non-negative matrix whose entries grow with lambda_bar_i and
    lambda_bar_j, so its top eigenvalue does too (Perron-Frobenius): the largest block is
    among mode 1 alone, modes 1 and 2, mode 1 and the first unlearned mode, and an unused unit.
    The bound is 2 / (that largest curvature); for the one-mode case it is
    min(1/(lambda_bar_1 - gamma), 1/gamma) when lambda_bar_1 > gamma, else
    2/(lambda_bar_1 + gamma). Checked against the full autograd Hessian and against training
    runs just below and above the bound (tests/unit/test_models.py, test_training_linear.py).
    Raises ValueError unless the eigenvalues, ``noise`` and ``decay`` are finite and >= 0.
    """
    spectrum = [eigenvalues] if isinstance(eigenvalues, int | float) else list(eigenvalues)
    lam = [_check_amount("lambda_bar", value) for value in spectrum[:2]]  # (descending)
    if not lam:
        raise ValueError("the spectrum is empty: no eigenvalue to bound the learning rate with")
    sigma2, gamma = _check_amount("sigma^2", noise), _check_amount("gamma", decay)
    units = len(spectrum) if hidden is None else int(hidden)
    learned = sum(1 for value in spectrum[:units] if float(value) > gamma)
    first_unlearned = None  # the largest eigenvalue of a mode not learned
    if learned < len(spectrum):
        first_unlearned = _check_amount("lambda_bar", spectrum[learned])
    s = [value + sigma2 for value in lam]
    w2 = [(v - gamma) / (v + sigma2) if v > gamma else 0.0 for v in lam]  # learned: w_i^2
    second, unlearned = f"lambda_bar_2 = {spectrum[1]:.6g}" if learned >= 2 else "", ""
    if first_unlearned is not None:
        unlearned = f"lambda_bar_{learned + 1} = {first_unlearned:.6g}"
    # (curvature, formula of the bound it gives, the extra eigenvalue it depends on), in the
    # order of preference on ties (the simplest formula first)
    candidates: list[tuple[float, str, str]] = []
    if learned >= 1:
        one = "1/lambda_bar_1" if gamma == 0 else "1/(lambda_bar_1 - gamma)"
        candidates.append((2.0 * (lam[0] - gamma), one, ""))
        candidates.append((2.0 * gamma, "1/gamma", ""))
    if learned >= 2:
        wi, wj = math.sqrt(w2[0]), math.sqrt(w2[1])
        for i, j, a, b in ((0, 1, wi, wj), (1, 0, wj, wi)):
            block = [
                [s[j] * a * a + gamma, s[j] * a * b, -gamma, 0.0],
                [s[j] * a * b, s[j] * b * b + gamma, 0.0, -gamma],
                [-gamma, 0.0, s[i] * a * a + gamma, s[i] * a * b],
                [0.0, -gamma, s[i] * a * b, s[i] * b * b + gamma],
            ]
            formula = "2/h (h: the curvature coupling the learned modes 1 and 2)"
            candidates.append((_largest_eigenvalue(block), formula, second))
    if learned >= 1 and first_unlearned is not None:
        lam_j = first_unlearned
        block = [[(lam_j + sigma2) * w2[0] + gamma, -lam_j], [-lam_j, lam[0]]]
        formula = (
            f"2/h (h: the curvature coupling mode 1 with mode {learned + 1}, the first one "
            "not learned)"
        )
        candidates.append((_largest_eigenvalue(block), formula, unlearned))
    if units > learned:  # unused hidden units
        if learned >= 1:
            candidates.append((2.0 * gamma, "1/gamma", ""))
        if first_unlearned is not None:
            formula = f"2/(lambda_bar_{learned + 1} + gamma)"
            candidates.append((gamma + first_unlearned, formula, unlearned))
    curvature = max((item[0] for item in candidates), default=0.0)
    formula, extra = next(
        ((text, term) for value, text, term in candidates if value >= curvature * (1 - 1e-12)),
        ("", ""),
    )
    terms = [f"lambda_bar_1 = {float(spectrum[0]):.6g}"]
    if extra and extra not in terms:
        terms.append(extra)
    terms += [f"sigma^2 = {sigma2:g}", f"gamma = {gamma:g}"]
    if hidden is not None:
        terms.append(f"H = {units}")
    if curvature <= 0.0:
        return StabilityBound(math.inf, "no bound (the loss has no curvature)", ", ".join(terms))
    return StabilityBound(2.0 / curvature, formula, ", ".join(terms))


def stability_bound(
    eigenvalues: float | Sequence[float],
    noise: float = 0.0,
    decay: float = 0.0,
    hidden: int | None = None,
) -> float:
    """The value of :func:`linear_stability`: full-batch GD needs lr below it (1/lambda_bar_1
    for the AE and the DAE)."""
    return linear_stability(eigenvalues, noise, decay, hidden).value


@dataclass(frozen=True)
class AutoLearningRate:
    """A learning rate derived from the data: ``fraction`` of the smallest stability bound
    over the models (``bound``, that of ``model``), shared by every model of a dataset."""

    value: float
    fraction: float
    bound: StabilityBound
    model: str

    def __str__(self) -> str:
        return (
            f"lr auto = {self.value:.6g} = {self.fraction:g} x bound {self.bound.value:.6g} "
            f"(the smallest of the {', '.join(MODELS)} bounds, the {self.model}'s: "
            f"{self.bound.formula}; {self.bound.terms})"
        )


def auto_learning_rate(
    eigenvalues: float | Sequence[float],
    noise: float,
    decay: float,
    hidden: int | None,
    fraction: float,
) -> AutoLearningRate:
    """``fraction`` x min over the models of :func:`linear_stability` (each with its own
    sigma^2 and gamma from :func:`regularisers`), so that AE, WDAE and DAE on one dataset
    train with one learning rate below all three bounds. Raises ValueError unless
    0 < ``fraction`` < 1 and some model's loss has curvature (a finite bound)."""
    fraction = float(fraction)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"auto_lr_fraction = {fraction!r}: must be in (0, 1)")
    bounds = {
        name: linear_stability(eigenvalues, *regularisers(name, noise, decay), hidden)
        for name in MODELS
    }
    binding = min(bounds, key=lambda name: bounds[name].value)
    bound = bounds[binding]
    if not math.isfinite(bound.value):
        raise ValueError(
            f"no learning rate can be derived: the loss has no curvature ({bound.terms}); "
            "give linear.lr a number"
        )
    return AutoLearningRate(fraction * bound.value, fraction, bound, binding)


def linear_learning_rate(
    settings, eigenvalues: Sequence[float]
) -> tuple[float, AutoLearningRate | None]:
    """The learning rate a linear run on one dataset trains with, from its ``linear`` settings
    (``lr`` and ``hidden`` of that dataset): ``lr`` itself when a number, else (``auto``)
    :func:`auto_learning_rate` of the spectrum with ``auto_lr_fraction``, returned too."""
    if settings["lr"] != "auto":
        return float(settings["lr"]), None
    auto = auto_learning_rate(
        eigenvalues,
        settings["noise"],
        settings["decay"],
        settings["hidden"],
        settings["auto_lr_fraction"],
    )
    return auto.value, auto


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


def nonlinear_stability(
    eigenvalues: float | Sequence[float],
    dimension: int,
    weight_decay: float = 0.0,
    noise_std: float = 0.0,
    hidden: int | None = None,
) -> StabilityBound:
    """The ReLU models' step bound from their linear limit: the linear bound of
    :func:`linear_stability` at the effective parameters (alpha_eff = 2 lr / D,
    gamma_eff = wd D / 2, sigma^2_eff = std^2), i.e. lr < (D/2) x that bound (D/(2 lambda_bar_1)
    without weight decay). An estimate for the ReLU network, exact for ``activation: linear``.
    """
    effective = effective_linear_parameters(1.0, weight_decay, noise_std, dimension)
    linear = linear_stability(eigenvalues, effective["noise"], effective["decay"], hidden)
    formula = linear.formula.replace("gamma", "gamma_eff")
    formula = "D/(2 lambda_bar_1)" if formula == "1/lambda_bar_1" else f"(D/2) {formula}"
    terms = linear.terms.replace("sigma^2 =", "sigma^2_eff = std^2 =").replace(
        "gamma =", "gamma_eff = wd D/2 ="
    )
    return StabilityBound(dimension / 2.0 * linear.value, formula, f"D = {dimension}, {terms}")


def nonlinear_stability_bound(
    eigenvalues: float | Sequence[float],
    dimension: int,
    weight_decay: float = 0.0,
    noise_std: float = 0.0,
    hidden: int | None = None,
) -> float:
    """The value of :func:`nonlinear_stability`: lr < D / (2 lambda_bar_1) without decay."""
    return nonlinear_stability(eigenvalues, dimension, weight_decay, noise_std, hidden).value
