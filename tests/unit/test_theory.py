"""The invariants of docs/theory.md for lindae.theory: fixed points, matching, closed forms."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from lindae import theory

# The paper's scalar ranges (Figs 1-4) and the real-data range (Fig. 5 eigenvalues).
LAMS = np.array([1e-4, 0.01, 0.1, 0.5, 1.0, 2.5, 38.29, 741.6])
NOISES = np.array([0.0, 0.1, 0.5, 1.0, 1.8, 5.0, 10.0])


def _flow_u(t_eval, lam, noise, decay, lr, u0):
    """Adaptive integration of S6, tau du/dt = 2u(a - xi u), in log form for accuracy."""

    def rhs(_, log_u):
        u = np.exp(log_u)
        return 2.0 * lr * ((lam - decay) - (lam + noise) * u)

    solution = solve_ivp(
        rhs, (0.0, t_eval[-1]), [np.log(u0)], t_eval=t_eval, method="DOP853", rtol=1e-12, atol=1e-13
    )
    assert solution.success
    return np.exp(solution.y[0])


class TestFixedPoints:
    """Invariant 1."""

    def test_long_time_limit_equals_fixed_point(self):
        lam, noise, decay = np.meshgrid(LAMS, NOISES, [0.0, 0.05, 0.5, 2.0], indexing="ij")
        a = lam - decay
        lr = 0.01
        # time at which 2|a| t lr = 60 (or later); a = 0 excluded (no exponential approach)
        t = np.where(a != 0, 60.0 / (2.0 * np.maximum(np.abs(a), 1e-300) * lr), 0.0)
        u = theory.mode_strength(t, lam, noise, decay, lr, 1e-6)
        expected = np.maximum(0.0, (lam - decay) / (lam + noise))
        mask = a != 0
        assert np.max(np.abs(u - expected)[mask]) <= 1e-12

    def test_initial_value(self):
        u0 = np.array([1e-9, 1e-6, 1e-3, 0.5, 2.0])
        lam, noise, decay, u0 = np.meshgrid(LAMS, NOISES, [0.0, 0.3], u0, indexing="ij")
        u = theory.mode_strength(0.0, lam, noise, decay, 0.01, u0)
        assert np.max(np.abs(u / u0 - 1.0)) <= 1e-15

    def test_authors_form_agrees_where_finite(self):
        t = np.arange(0, 20000, 7.0)[:, None]
        for lam in LAMS:
            for noise in NOISES:
                for decay in (0.0, 0.2):
                    stable = theory.mode_strength(t, lam, noise, decay, 0.001, 1e-6)
                    authors = theory.mode_strength_authors(t, lam, noise, decay, 0.001, 1e-6)
                    # finite = no intermediate overflow: 2 a t lr + ln max(a, xi) < ~709.8
                    a, xi = lam - decay, lam + noise
                    finite = (2 * a * 0.001 * t + np.log(max(a, xi)) < 709.0) & np.isfinite(authors)
                    assert finite[0].all()
                    rel = np.abs(authors[finite] - stable[finite]) / np.abs(stable[finite])
                    assert rel.max() <= 1e-12, (lam, noise, decay)

    def test_authors_form_overflows_but_stable_form_does_not(self):
        t = np.arange(5000.0)
        lam = 741.6 * 30000  # CIFAR-10 top mode, sum convention: N = 30 000, tau = N / 0.001
        authors = theory.mode_strength_authors(t, lam / 30000, 0.5, 0.0, 0.001, 1.4e-6)
        assert np.isnan(authors).any()
        stable = theory.mode_strength(t, lam / 30000, 0.5, 0.0, 0.001, 1.4e-6)
        assert np.isfinite(stable).all()

    def test_dae_and_wdae_fixed_points(self):
        assert theory.fixed_point(1.0, [0.0, 1.0, 5.0]) == pytest.approx(
            [1.0, 0.5, 1.0 / 6.0], abs=1e-15
        )
        assert theory.fixed_point(0.3, 0.0, 0.5) == 0.0  # lam < gamma: never learned
        assert theory.fixed_point(2.0, 0.0, 0.5) == pytest.approx(0.75, abs=1e-15)

    def test_edge_cases_u0_zero_and_a_zero(self):
        t = np.linspace(0, 1e6, 11)
        assert np.all(theory.mode_strength(t, 1.0, 0.5, 0.0, 0.01, 0.0) == 0.0)
        critical = theory.mode_strength(t, 0.5, 0.0, 0.5, 0.01, 1e-3)  # a = 0 exactly
        assert np.allclose(critical, 1e-3 / (1.0 + 2.0 * 0.5 * 1e-3 * 0.01 * t), rtol=1e-15)
        above = theory.mode_strength(t, 1.0, 1.0, 0.0, 0.01, 0.9)  # starts above u* = 0.5
        assert np.all(np.diff(above) <= 0) and above[-1] == pytest.approx(0.5, abs=1e-12)


class TestMatchedRegularisation:
    """Invariant 2 (and S9, S10)."""

    @pytest.mark.parametrize("lam", [0.1, 0.5, 1.0, 2.5, 38.29])
    @pytest.mark.parametrize("noise", [0.2, 0.5, 1.0, 1.8])
    def test_plateaus_ordering_and_time_ratio(self, lam, noise):
        decay = theory.matched_weight_decay(lam, noise)
        assert theory.fixed_point(lam, noise) == pytest.approx(
            theory.fixed_point(lam, 0.0, decay), abs=1e-12
        )
        lr, u0 = 0.001, 1e-6
        t = np.linspace(0, 200.0 / (lr * (lam - decay)), 4001)
        dae = theory.mode_strength(t, lam, noise, 0.0, lr, u0)
        wdae = theory.mode_strength(t, lam, 0.0, decay, lr, u0)
        assert np.all(wdae <= dae + 1e-15)
        target = theory.fixed_point(lam, noise)
        for fraction in (0.1, 0.5, 0.9):
            t_dae = theory.time_to_level(fraction * target, lam, noise, 0.0, lr, u0)
            t_wdae = theory.time_to_level(fraction * target, lam, 0.0, decay, lr, u0)
            ratio = t_wdae / t_dae
            assert ratio == pytest.approx(theory.time_ratio_wdae_to_dae(lam, noise), rel=1e-9)
            assert ratio == pytest.approx(1.0 + noise / lam, rel=1e-9)

    def test_equal_noise_and_eigenvalue_doubles_the_time(self):
        assert theory.time_ratio_wdae_to_dae(0.7, 0.7) == 2.0

    def test_time_to_level_by_root_finding(self):
        lam, noise, lr, u0 = 1.0, 0.5, 0.01, 1e-6
        level = 0.3
        t_closed = theory.time_to_level(level, lam, noise, 0.0, lr, u0)
        from scipy.optimize import brentq

        t_root = brentq(
            lambda t: theory.mode_strength(t, lam, noise, 0.0, lr, u0) - level,
            0.0,
            1e5,
            xtol=1e-12,
            rtol=1e-15,
        )
        assert t_closed == pytest.approx(t_root, rel=1e-9)


class TestOnset:
    """Invariant 3: early growth rate 2 lr lam whatever the noise; S10 time vs sampled crossing."""

    @pytest.mark.parametrize("noise", [0.0, 0.5, 5.0])
    def test_initial_log_slope_independent_of_noise(self, noise):
        lam, lr, u0 = 1.0, 0.001, 1e-9
        t = np.array([0.0, 1.0])
        u = theory.mode_strength(t, lam, noise, 0.0, lr, u0)
        slope = np.diff(np.log(u))[0]
        assert slope == pytest.approx(2 * lr * lam, rel=1e-6)

    @pytest.mark.parametrize("lam", [0.5, 1.0, 2.5])
    @pytest.mark.parametrize("noise", [0.0, 0.6, 1.8])
    def test_half_time_matches_first_crossing(self, lam, noise):
        lr, u0 = 0.001, 1e-6
        epoch = np.arange(20000)
        u = theory.mode_strength(epoch, lam, noise, 0.0, lr, u0)
        half = 0.5 * theory.fixed_point(lam, noise)
        first = epoch[np.argmax(u >= half)]
        assert abs(first - theory.time_to_level(half, lam, noise, 0.0, lr, u0)) <= 1.0


class TestClosedFormsEqualTheOde:
    """Invariant 4."""

    @pytest.mark.parametrize("lam", [0.1, 1.0, 2.5])
    @pytest.mark.parametrize(
        "noise,decay", [(0.0, 0.0), (1.0, 0.0), (0.0, 0.5), (0.5, 0.3), (0.0, 3.0)]
    )
    def test_s7_vs_integrated_s6(self, lam, noise, decay):
        lr, u0 = 0.01, 1e-3
        t = np.linspace(0, 3000, 301)
        expected = _flow_u(t, lam, noise, decay, lr, u0)
        assert np.max(np.abs(theory.mode_strength(t, lam, noise, decay, lr, u0) - expected)) <= 1e-8

    @pytest.mark.parametrize("noise", [0.0, 1.0, 5.0])
    def test_s11_vs_integrated_two_weight_flow(self, noise):
        from lindae.scalar import legacy_uniform_inits

        w1_0, w2_0 = legacy_uniform_inits(2 * np.arange(10))
        lam, lr = 1.0, 0.01
        t = np.arange(201.0)
        for a, b in zip(w1_0, w2_0, strict=True):

            def rhs(_, w):
                g1, g2 = theory.scalar_loss_gradient(w[0], w[1], lam, noise)
                return [-lr * g1, -lr * g2]

            solution = solve_ivp(
                rhs, (0, 200), [a, b], t_eval=t, method="DOP853", rtol=1e-12, atol=1e-14
            )
            flow = solution.y[0] * solution.y[1]
            riccati = theory.unbalanced_mode_strength(t, a, b, lam, noise, lr)
            authors = theory.unbalanced_mode_strength_authors(t, a, b, lam, noise, lr)
            assert np.max(np.abs(riccati - flow)) <= 1e-8
            assert np.max(np.abs(authors - flow)) <= 1e-8
            assert np.max(np.abs(authors - riccati)) <= 1e-9

    def test_s11_balanced_fallback(self):
        t = np.arange(100.0)
        u = theory.unbalanced_mode_strength(t, 0.3, 0.3, 1.0, 1.0, 0.01)
        assert np.allclose(u, theory.mode_strength(t, 1.0, 1.0, 0.0, 0.01, 0.09), rtol=1e-14)
        assert np.isnan(theory.unbalanced_mode_strength_authors(t, 0.3, 0.3, 1.0, 1.0, 0.01)).all()


class TestConservation:
    """Invariant 6, continuous part (the discrete law is in test_scalar.py)."""

    def test_c_constant_without_decay_and_decays_with_it(self):
        lam, noise, lr = 1.0, 0.5, 0.01
        for decay in (0.0, 0.2):

            def rhs(_, w, decay=decay):
                g1, g2 = theory.scalar_loss_gradient(w[0], w[1], lam, noise, decay)
                return [-lr * g1, -lr * g2]

            t = np.linspace(0, 2000, 201)
            solution = solve_ivp(
                rhs, (0, 2000), [0.4, 1.7], t_eval=t, method="DOP853", rtol=1e-12, atol=1e-14
            )
            c = theory.conserved_quantity(*solution.y)
            expected = theory.conserved_quantity(0.4, 1.7) * np.exp(-2 * decay * lr * t)
            assert np.max(np.abs(c - expected)) <= 1e-9


class TestHessian:
    """Invariant 7."""

    @pytest.mark.parametrize("lam", [0.5, 1.0, 2.5])
    @pytest.mark.parametrize("eps", [0.0, 0.2, 1.0, 9.98])
    def test_eigenvalues_at_one_one(self, lam, eps):
        dae = np.linalg.eigvalsh(theory.scalar_loss_hessian(1.0, 1.0, lam, eps, 0.0))
        assert dae == pytest.approx(sorted([2 * lam + 3 * eps, -eps]), abs=1e-12)
        gamma = theory.matched_weight_decay(lam, eps)
        wdae = np.linalg.eigvalsh(theory.scalar_loss_hessian(1.0, 1.0, lam, 0.0, gamma))
        assert wdae == pytest.approx(sorted([2 * lam + gamma, gamma]), abs=1e-12)
        assert 1.0 / theory.optimal_learning_rate_dae(lam, eps) == pytest.approx(
            dae.max(), abs=1e-12
        )
        assert 1.0 / theory.optimal_learning_rate_wdae(lam, gamma) == pytest.approx(
            wdae.max(), abs=1e-12
        )

    @pytest.mark.parametrize("eps", np.arange(0, 10, 0.02))
    def test_matched_exponents_equal(self, eps):
        lam = 1.0
        gamma = theory.matched_weight_decay(lam, eps)
        dae = 2 * lam * theory.optimal_learning_rate_dae(lam, eps)
        wdae = 2 * (lam - gamma) * theory.optimal_learning_rate_wdae(lam, gamma, "hessian")
        assert dae == pytest.approx(wdae, abs=1e-12)

    def test_notebook_rate_is_the_left_panel_formula(self):
        lam, eps = 1.0, np.linspace(0, 1.8, 10)
        gamma = theory.matched_weight_decay(lam, eps)
        notebook = 0.005 * (lam + eps) / (2 * lam * (lam + 2 * eps))
        assert np.allclose(
            0.005 * theory.optimal_learning_rate_wdae(lam, gamma, "notebook"), notebook, rtol=1e-14
        )

    def test_unknown_rule_is_named(self):
        with pytest.raises(ValueError, match="'hessian' or 'notebook'"):
            theory.optimal_learning_rate_wdae(1.0, 0.1, "fastest")


def test_hessian_gradient_consistency():
    """The analytic gradient and Hessian of S5 match central finite differences."""
    w1, w2, lam, eps, gamma, h = 0.7, -1.3, 1.5, 0.4, 0.2, 1e-5
    g1, g2 = theory.scalar_loss_gradient(w1, w2, lam, eps, gamma)
    loss = theory.scalar_loss
    assert g1 == pytest.approx(
        (loss(w1 + h, w2, lam, eps, gamma) - loss(w1 - h, w2, lam, eps, gamma)) / (2 * h), rel=1e-8
    )
    assert g2 == pytest.approx(
        (loss(w1, w2 + h, lam, eps, gamma) - loss(w1, w2 - h, lam, eps, gamma)) / (2 * h), rel=1e-8
    )
    hessian = theory.scalar_loss_hessian(w1, w2, lam, eps, gamma)
    numeric_col0 = (
        np.array(theory.scalar_loss_gradient(w1 + h, w2, lam, eps, gamma))
        - np.array(theory.scalar_loss_gradient(w1 - h, w2, lam, eps, gamma))
    ) / (2 * h)
    assert hessian[:, 0] == pytest.approx(numeric_col0, rel=1e-7)


def test_sum_and_mean_conventions_agree():
    """Invariant 9."""
    t = np.arange(0, 5000, 13.0)
    n = 50000
    for lam_bar in (0.01, 1.0, 38.29):
        for noise, decay in ((0.0, 0.0), (0.5, 0.0), (0.0, 0.5)):
            mean = theory.mode_strength(t, lam_bar, noise, decay, 0.01, 1.34e-6)
            total = theory.mode_strength_sum_convention(
                t, lam_bar * n, n, noise, decay, 0.01, 1.34e-6
            )
            assert np.max(np.abs(total - mean) / np.abs(mean)) <= 1e-12


def test_final_weight_norm():
    """S12: WDAE norm limit sqrt(2 u*) = 1.3484 at lam = 1, gamma = 1/11."""
    gamma = theory.matched_weight_decay(1.0, 0.1)
    assert gamma == pytest.approx(1 / 11, abs=1e-15)
    assert theory.final_weight_norm(0.0, 1.0, 0.0, gamma) == pytest.approx(
        np.sqrt(2 * 10 / 11), abs=1e-15
    )
    assert round(float(theory.final_weight_norm(0.0, 1.0, 0.0, gamma)), 4) == 1.3484


def test_no_nan_or_inf_over_paper_ranges():
    """Stable forms are finite everywhere the paper evaluates them (and far beyond)."""
    t = np.concatenate([np.arange(20000.0), [1e6, 1e9]])[:, None, None, None]
    lam = LAMS[None, :, None, None]
    noise = NOISES[None, None, :, None]
    decay = np.array([0.0, 0.0045 * 784 / 2, 0.5, 1.047])[None, None, None, :]
    for lr in (0.001, 0.01, 0.9):
        assert np.isfinite(theory.mode_strength(t, lam, noise, decay, lr, 1e-6)).all()
    w1, w2 = np.meshgrid(np.linspace(-2, 2, 21), np.linspace(-2, 2, 21))
    for eps in (0.0, 1.0, 5.0):
        u = theory.unbalanced_mode_strength(
            np.arange(0, 100000, 50.0)[:, None, None], w1, w2, 1.0, eps, 0.01
        )
        assert np.isfinite(u).all()
    eps = np.arange(0, 10, 0.02)
    gamma = theory.matched_weight_decay(1.0, eps)
    for values in (
        theory.optimal_learning_rate_dae(1.0, eps),
        theory.optimal_learning_rate_wdae(1.0, gamma),
        theory.time_ratio_wdae_to_dae(1.0, eps),
    ):
        assert np.isfinite(values).all()


@pytest.mark.parametrize("noise", [0.0, 1.0])
def test_sign_balanced_init_follows_the_two_weight_flow(noise):
    """w1 = -w2 (c = 0, u0 < 0): the mapping decays to 0 as the flow does, no blow-up."""
    lam, lr, w = 1.0, 0.01, 1.5
    t = np.linspace(0, 2000, 201)

    def rhs(_, weights):
        g1, g2 = theory.scalar_loss_gradient(weights[0], weights[1], lam, noise)
        return [-lr * g1, -lr * g2]

    solution = solve_ivp(rhs, (0, 2000), [w, -w], t_eval=t, method="DOP853", rtol=1e-12, atol=1e-14)
    u = theory.unbalanced_mode_strength(t, w, -w, lam, noise, lr)
    assert np.max(np.abs(u - solution.y[0] * solution.y[1])) <= 1e-8
