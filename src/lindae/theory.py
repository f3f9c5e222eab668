"""Closed-form learning dynamics of linear (denoising) autoencoders, per eigen-mode.

Everything here is float64 numpy, vectorised by broadcasting over the eigenvalue ``lam``,
the noise variance ``noise`` (sigma^2, written epsilon in the scalar figures), the weight
decay ``decay`` (gamma), the learning rate ``lr`` (alpha) and the epoch ``t``.

Conventions (docs/theory.md, "Mean and sum conventions"): the *mean* convention is used
throughout, i.e. ``lam`` is an eigenvalue of the per-sample second moment and the time constant
is tau = 1/lr. The sum convention of the authors' code (eigenvalues of X^T X, tau = N/lr,
N*sigma^2, N*gamma) is available through :func:`mode_strength_sum_convention`. Equation labels
S5..S13 are listed in docs/theory.md ("Equation labels").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_import

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

    FloatArray = NDArray[np.float64]

np = lazy_import("numpy")


__all__ = [
    "growth_rate_and_coupling",
    "mode_strength",
    "mode_strength_authors",
    "authors_logistic_solution",
    "fixed_point",
    "matched_weight_decay",
    "time_to_level",
    "time_ratio_wdae_to_dae",
    "unbalanced_mode_strength",
    "unbalanced_mode_strength_authors",
    "conserved_quantity",
    "scalar_loss",
    "scalar_loss_gradient",
    "scalar_loss_hessian",
    "optimal_learning_rate_dae",
    "optimal_learning_rate_wdae",
    "final_weight_norm",
    "logistic_solution",
    "mode_strength_sum_convention",
]


def _f64(*arrays: ArrayLike) -> list[FloatArray]:
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def growth_rate_and_coupling(
    lam: ArrayLike, noise: ArrayLike = 0.0, decay: ArrayLike = 0.0
) -> tuple[FloatArray, FloatArray]:
    """Return ``(a, xi)`` of the logistic equation S6: a = lam - gamma, xi = lam + sigma^2."""
    lam, noise, decay = _f64(lam, noise, decay)
    return lam - decay, lam + noise


def logistic_solution(
    t: ArrayLike, a: ArrayLike, xi: ArrayLike, inv_tau: ArrayLike, u0: ArrayLike
) -> FloatArray:
    """Solution of tau du/dt = 2u(a - xi u), u(0) = u0 (S6), in the stable form of S7.

    Never forms an exponential that can overflow: for a > 0 the decaying factor
    exp(-2 a t / tau) is used, for a < 0 the (also decaying) exp(2 a t / tau), and a = 0 takes
    its exact limit u0 / (1 + 2 xi u0 t / tau). Multiplying through by ``u0`` keeps the
    unstable fixed point u0 = 0 exact.

    A negative ``u0`` means weights balanced up to sign (w1 = -w2); the network then obeys
    tau du/dt = 2|u|(a - xi u), i.e. v = -u follows the same equation with a -> -a and decays
    to 0, so u = sign(u0) * solution(sign(u0) a, |u0|) (no spurious finite-time blow-up).
    """
    a, xi, t, inv_tau, u0 = np.broadcast_arrays(*_f64(a, xi, t, inv_tau, u0))
    sign = np.where(u0 < 0, -1.0, 1.0)
    a, u0 = sign * a, np.abs(u0)
    exponent = -2.0 * np.abs(a) * inv_tau * t  # <= 0 for t >= 0: exp never overflows
    decaying = np.exp(exponent)
    grown = -np.expm1(exponent)  # 1 - e, accurate near t = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        # a > 0: u = a u0 / (xi u0 (1 - e) + a e), e = e^{-2a t/tau}; both terms >= 0, so no
        # cancellation (u(0) = u0 exactly)
        growing = a * u0 / (xi * u0 * grown + a * decaying)
        # a < 0: u = a u0 E / (a - xi u0 (1 - E)), E = e^{2a t/tau}; both terms <= 0
        shrinking = a * u0 * decaying / (a - xi * u0 * grown)
        critical = u0 / (1.0 + 2.0 * xi * u0 * inv_tau * t)
    u = np.where(a > 0, growing, np.where(a < 0, shrinking, critical))
    return sign * np.where(u0 == 0.0, 0.0, u)


def mode_strength(
    t: ArrayLike,
    lam: ArrayLike,
    noise: ArrayLike = 0.0,
    decay: ArrayLike = 0.0,
    lr: ArrayLike = 1.0,
    u0: ArrayLike = 1e-6,
) -> FloatArray:
    """Learned mapping u(t) = w1 w2 of one mode from a balanced init (stable S7), mean convention.

    ``lam`` is an eigenvalue of the per-sample second moment, tau = 1 / lr.
    """
    a, xi = growth_rate_and_coupling(lam, noise, decay)
    return logistic_solution(t, a, xi, lr, u0)


def mode_strength_sum_convention(
    t: ArrayLike,
    lam_sum: ArrayLike,
    n_samples: ArrayLike,
    noise: ArrayLike = 0.0,
    decay: ArrayLike = 0.0,
    lr: ArrayLike = 1.0,
    u0: ArrayLike = 1e-6,
) -> FloatArray:
    """Stable S7 in the authors' sum convention: ``lam_sum`` an eigenvalue of X^T X, tau = N/lr.

    a = lam - N gamma, xi = lam + N sigma^2. Identical curves to :func:`mode_strength` with
    lam / N (docs/theory.md, "Mean and sum conventions"); both share :func:`logistic_solution`.
    """
    lam_sum, n_samples, noise, decay, lr = _f64(lam_sum, n_samples, noise, decay, lr)
    a = lam_sum - n_samples * decay
    xi = lam_sum + n_samples * noise
    return logistic_solution(t, a, xi, lr / n_samples, u0)


def authors_logistic_solution(
    t: ArrayLike, a: ArrayLike, xi: ArrayLike, inv_tau: ArrayLike, u0: ArrayLike
) -> FloatArray:
    """S7 exactly as the authors evaluate it: u = a E / (xi (E - 1) + a / u0), E = exp(2 a t/tau).

    Kept only to reproduce (and report) the overflow of the published Fig. 5: once
    2 a t / tau + ln(max(a, xi)) exceeds ~709.8 the result is inf/inf = NaN (or a spurious 0).
    Use :func:`logistic_solution` for anything else.
    """
    t, a, xi, inv_tau, u0 = _f64(t, a, xi, inv_tau, u0)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        growth = np.exp(2.0 * a * inv_tau * t)
        return a * growth / (xi * (growth - 1.0) + a / u0)


def mode_strength_authors(
    t: ArrayLike,
    lam: ArrayLike,
    noise: ArrayLike = 0.0,
    decay: ArrayLike = 0.0,
    lr: ArrayLike = 1.0,
    u0: ArrayLike = 1e-6,
) -> FloatArray:
    """The authors' (overflow-prone) S7, mean convention (:func:`authors_logistic_solution`)."""
    a, xi = growth_rate_and_coupling(lam, noise, decay)
    return authors_logistic_solution(t, a, xi, lr, u0)


def fixed_point(lam: ArrayLike, noise: ArrayLike = 0.0, decay: ArrayLike = 0.0) -> FloatArray:
    """Stable fixed point of S6 (S8): u* = max(0, (lam - gamma) / (lam + sigma^2))."""
    a, xi = growth_rate_and_coupling(lam, noise, decay)
    return np.maximum(0.0, a / xi)


def matched_weight_decay(lam: ArrayLike, noise: ArrayLike) -> FloatArray:
    """Weight decay whose fixed point equals the DAE's (S9).

    gamma = lam sigma^2 / (lam + sigma^2).
    """
    lam, noise = _f64(lam, noise)
    return lam * noise / (lam + noise)


def time_to_level(
    level: ArrayLike,
    lam: ArrayLike,
    noise: ArrayLike = 0.0,
    decay: ArrayLike = 0.0,
    lr: ArrayLike = 1.0,
    u0: ArrayLike = 1e-6,
) -> FloatArray:
    """Epoch at which u(t) reaches ``level`` (S10), for u0 < level < u* and a > 0.

    t = (tau / 2a) ln[ level (u* - u0) / (u0 (u* - level)) ]. Outside that range NaN.
    """
    level, lr, u0 = _f64(level, lr, u0)
    a, xi = growth_rate_and_coupling(lam, noise, decay)
    target = fixed_point(lam, noise, decay)
    valid = (a > 0) & (u0 > 0) & (u0 < level) & (level < target)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = level * (target - u0) / (u0 * (target - level))
        t = np.log(ratio) / (2.0 * a * lr)
    return np.where(valid, t, np.nan)


def time_ratio_wdae_to_dae(lam: ArrayLike, noise: ArrayLike) -> FloatArray:
    """t_WDAE / t_DAE under matched regularisation (S10).

    lam / (lam - gamma) = 1 + sigma^2 / lam.
    """
    lam, noise = _f64(lam, noise)
    return 1.0 + noise / lam


def conserved_quantity(w1: ArrayLike, w2: ArrayLike) -> FloatArray:
    """c = w2^2 - w1^2, constant under the gamma = 0 gradient flow (S11, S12)."""
    w1, w2 = _f64(w1, w2)
    return w2 * w2 - w1 * w1


def _unbalanced_setup(w1_0, w2_0, lam, noise):
    w1_0, w2_0, lam, noise = _f64(w1_0, w2_0, lam, noise)
    c0 = np.abs(conserved_quantity(w1_0, w2_0))
    kappa = (lam + noise) / lam
    g = np.sqrt(c0 * c0 * kappa * kappa + 4.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta0 = np.arcsinh(2.0 * w1_0 * w2_0 / c0)
    return w1_0, w2_0, lam, noise, c0, kappa, g, theta0


def unbalanced_mode_strength(
    t: ArrayLike,
    w1_0: ArrayLike,
    w2_0: ArrayLike,
    lam: ArrayLike,
    noise: ArrayLike = 0.0,
    lr: ArrayLike = 1.0,
) -> FloatArray:
    """Exact u(t) = w1 w2 of the gamma = 0 flow from any init (S11), Riccati form.

    With s = tanh(theta/2): tau ds/dt = -lam (s^2 + kappa c0 s - 1), roots r+- = (-kappa c0 +-
    G)/2, so s(t) = (r+ - q r-) / (1 - q) with q = q0 exp(-lam G t / tau), a decaying
    exponential. u = (c0/2) sinh(2 artanh s) = c0 s / ((1 - s)(1 + s)) is evaluated with every
    difference of nearly equal numbers (1 -+ s0, 1 -+ r+-) rewritten in cancellation-free form,
    so that nearly balanced inits (c0 << |w1 w2|) stay accurate. Exactly balanced inits
    (c0 = 0, up to sign) use the stable S7 (:func:`mode_strength`).
    """
    t, lr = _f64(t, lr)
    w1_0, w2_0, lam, noise = _f64(w1_0, w2_0, lam, noise)
    u0 = w1_0 * w2_0
    c0 = np.abs(conserved_quantity(w1_0, w2_0))
    kappa = (lam + noise) / lam
    g = np.sqrt(c0 * c0 * kappa * kappa + 4.0)
    radius = np.sqrt(c0 * c0 + 4.0 * u0 * u0)  # s0 = tanh(asinh(2 u0 / c0) / 2) = 2u0/(c0 + R)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_plus_2u0 = np.where(u0 >= 0, radius + 2 * u0, c0 * c0 / (radius - 2 * u0))
        r_minus_2u0 = np.where(u0 <= 0, radius - 2 * u0, c0 * c0 / (radius + 2 * u0))
        one_plus_s0 = (c0 + r_plus_2u0) / (c0 + radius)
        one_minus_s0 = (c0 + r_minus_2u0) / (c0 + radius)
        g_minus_2 = (kappa * c0) ** 2 / (g + 2.0)  # G - 2 without cancellation
        one_minus_rp = (kappa * c0 - g_minus_2) / 2.0  # 1 - r+
        one_plus_rp = 2.0 - one_minus_rp  # 1 + r+
        one_plus_rm = -(kappa * c0 + g_minus_2) / 2.0  # 1 + r-
        one_minus_rm = 2.0 - one_plus_rm  # 1 - r-
        root_plus, root_minus = 1.0 - one_minus_rp, one_plus_rm - 1.0
        # q0 = (s0 - r+) / (s0 - r-), each difference taken through 1 -+ s0 and 1 -+ r
        q = (one_minus_rp - one_minus_s0) / (one_plus_s0 - one_plus_rm) * np.exp(-lam * g * lr * t)
        u = (
            c0
            * (root_plus - q * root_minus)
            * (1.0 - q)
            / ((one_minus_rp - q * one_minus_rm) * (one_plus_rp - q * one_plus_rm))
        )
    balanced = mode_strength(t, lam, noise, 0.0, lr, u0)
    return np.where(c0 == 0.0, balanced, u)


def unbalanced_mode_strength_authors(
    t: ArrayLike,
    w1_0: ArrayLike,
    w2_0: ArrayLike,
    lam: ArrayLike,
    noise: ArrayLike = 0.0,
    lr: ArrayLike = 1.0,
) -> FloatArray:
    """S11 in the authors' hyperbolic-angle form (``hyperbolic_dae_dynamics``, Fig. 1 notebook).

    Undefined (NaN) for c0 = 0 and overflows for large lam G t / tau; the Riccati form
    :func:`unbalanced_mode_strength` has neither problem.
    """
    t, lr = _f64(t, lr)
    w1_0, w2_0, lam, noise, c0, kappa, g, theta0 = _unbalanced_setup(w1_0, w2_0, lam, noise)
    t0 = np.tanh(theta0 / 2.0)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        growth = np.exp(g * lam * lr * t)
        numerator = (1.0 - growth) * (
            g * g - c0 * c0 * kappa * kappa - 2.0 * c0 * kappa * t0
        ) - 2.0 * (1.0 + growth) * g * t0
        denominator = (1.0 - growth) * (2.0 * c0 * kappa + 4.0 * t0) - 2.0 * (1.0 + growth) * g
        theta = 2.0 * np.arctanh(numerator / denominator)
        return c0 / 2.0 * np.sinh(theta)


def scalar_loss(
    w1: ArrayLike,
    w2: ArrayLike,
    lam: ArrayLike,
    noise: ArrayLike = 0.0,
    decay: ArrayLike = 0.0,
) -> FloatArray:
    """Per-mode loss S5: (lam/2)(1 - w1 w2)^2 + (eps/2)(w1 w2)^2 + (gamma/2)(w1^2 + w2^2)."""
    w1, w2, lam, noise, decay = _f64(w1, w2, lam, noise, decay)
    u = w1 * w2
    return 0.5 * lam * (1.0 - u) ** 2 + 0.5 * noise * u * u + 0.5 * decay * (w1 * w1 + w2 * w2)


def scalar_loss_gradient(
    w1: ArrayLike,
    w2: ArrayLike,
    lam: ArrayLike,
    noise: ArrayLike = 0.0,
    decay: ArrayLike = 0.0,
) -> tuple[FloatArray, FloatArray]:
    """Gradient of S5: (-w2 h + gamma w1, -w1 h + gamma w2) with h = lam - (lam + eps) w1 w2."""
    w1, w2, lam, noise, decay = _f64(w1, w2, lam, noise, decay)
    h = lam - (lam + noise) * w1 * w2
    return -w2 * h + decay * w1, -w1 * h + decay * w2


def scalar_loss_hessian(
    w1: ArrayLike,
    w2: ArrayLike,
    lam: ArrayLike,
    noise: ArrayLike = 0.0,
    decay: ArrayLike = 0.0,
) -> FloatArray:
    """Hessian of S5, shape ``broadcast_shape + (2, 2)``."""
    w1, w2, lam, noise, decay = np.broadcast_arrays(*_f64(w1, w2, lam, noise, decay))
    xi = lam + noise
    off_diagonal = -lam + 2.0 * xi * w1 * w2
    hessian = np.empty(w1.shape + (2, 2))
    hessian[..., 0, 0] = xi * w2 * w2 + decay
    hessian[..., 1, 1] = xi * w1 * w1 + decay
    hessian[..., 0, 1] = off_diagonal
    hessian[..., 1, 0] = off_diagonal
    return hessian


def optimal_learning_rate_dae(lam: ArrayLike, noise: ArrayLike) -> FloatArray:
    """1 / largest Hessian eigenvalue of the DAE loss at (1, 1) (S13): 1 / (2 lam + 3 eps)."""
    lam, noise = _f64(lam, noise)
    return 1.0 / (2.0 * lam + 3.0 * noise)


def optimal_learning_rate_wdae(
    lam: ArrayLike, decay: ArrayLike, rule: str = "hessian"
) -> FloatArray:
    """WDAE "optimal" learning rate (S13).

    ``rule="hessian"``: 1 / (2 lam + gamma), the inverse largest Hessian eigenvalue at (1, 1)
    (the published Fig. 3 middle panel). ``rule="notebook"``: 1 / (2 lam + 2 gamma), the rate
    of the Fig. 3 left/right panels and of the notebook's first middle panel.
    """
    lam, decay = _f64(lam, decay)
    if rule == "hessian":
        return 1.0 / (2.0 * lam + decay)
    if rule == "notebook":
        return 1.0 / (2.0 * lam + 2.0 * decay)
    raise ValueError(f"unknown WDAE learning-rate rule {rule!r}; use 'hessian' or 'notebook'")


def final_weight_norm(
    c: ArrayLike, lam: ArrayLike, noise: ArrayLike = 0.0, decay: ArrayLike = 0.0
) -> FloatArray:
    """Converged sqrt(w1^2 + w2^2) = (c^2 + 4 u*^2)^(1/4) (S12).

    For the DAE ``c`` is the conserved w2^2 - w1^2 of the init; for the WDAE c decays to 0 and
    the norm tends to sqrt(2 u*), whatever the init.
    """
    c = np.asarray(c, dtype=np.float64)
    target = fixed_point(lam, noise, decay)
    return (c * c + 4.0 * target * target) ** 0.25
