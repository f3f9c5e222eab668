"""lindae.half_times (the half-time ratio measured on trained models) and the analysis figures:
lindae.figures.noise_vs_decay and lindae.figures.analysis (Fig. 5 reused per dataset)."""

from __future__ import annotations

import copy

import matplotlib
import numpy as np
import pandas as pd
import pytest

from lindae import half_times, theory
from lindae.figures import REGISTRY, figure
from lindae.figures.fig5 import FIGURE as FIG5
from lindae.models import MODELS, linear_regularisers
from lindae.spectra import Spectrum
from lindae.training import linear, linear_init
from lindae.training.matched import decoupled_trainer

LAM = np.array([5.0, 2.0, 1.0, 0.5, 0.25, 0.1])
LR = 0.05
SETTINGS = dict(
    datasets=[],
    modes=[1, 2, 4],
    noise_levels=[0.25, 1.0],
    u0=1e-6,
    epochs_factor=3.0,
    max_epochs=100000,
    records=200,
    settle_tolerance=1e-3,
    dtype="float64",
)


@pytest.fixture(scope="module")
def measured():
    train = decoupled_trainer(LAM, max(SETTINGS["modes"]), SETTINGS["u0"], LR)
    return half_times.measure_ratios(LAM, SETTINGS, LR, train)


def test_crossing_time_interpolates_between_records():
    epochs = np.array([0, 10, 20, 30])
    values = np.array([0.0, 0.2, 0.6, 1.0])
    assert half_times.crossing_time(epochs, values, 0.4) == pytest.approx(15.0)
    assert half_times.crossing_time(epochs, values, 0.6) == pytest.approx(20.0)
    assert half_times.crossing_time(epochs, values, -1.0) == 0.0
    assert np.isnan(half_times.crossing_time(epochs, values, 2.0))


def test_settled_needs_a_flat_tail_above_the_init():
    epochs = np.arange(101)
    flat = 1.0 - np.exp(-epochs / 5.0)
    assert half_times.is_settled(epochs, flat, 1e-3, 1e-6)
    rising = epochs / 100.0
    assert not half_times.is_settled(epochs, rising, 1e-3, 1e-6)
    assert not half_times.is_settled(epochs, np.full(101, 1e-6), 1e-3, 1e-6)


def test_predicted_half_time_is_the_closed_form_at_half_the_plateau():
    lam, noise, u0 = 2.0, 0.5, 1e-6
    t = float(half_times.predicted_half_time(lam, noise, 0.0, LR, u0))
    u = theory.mode_strength(t, lam, noise, 0.0, LR, u0)
    assert u == pytest.approx(0.5 * theory.fixed_point(lam, noise), rel=1e-9)
    gamma = theory.matched_weight_decay(lam, noise)
    ratio = half_times.predicted_half_time(lam, 0.0, gamma, LR, u0) / t
    assert ratio == pytest.approx(float(theory.time_ratio_wdae_to_dae(lam, noise)), rel=1e-12)


def test_measured_ratio_is_one_plus_noise_over_lambda(measured):
    assert len(measured["mode"]) == 3 * 2
    assert measured["settled_dae"].all() and measured["settled_wdae"].all()
    ratio = measured["measured_wdae"] / measured["measured_dae"]
    predicted = theory.time_ratio_wdae_to_dae(measured["eigenvalue"], measured["noise"])
    deviation = ratio / predicted - 1.0
    estimate = half_times.discretisation_estimate(LR, measured["decay"])
    # GD falls short of the flow's ratio by about lr gamma / 2 (never more, never the other way)
    assert np.all(deviation < 0) and np.all(-deviation <= estimate)
    assert np.all(-deviation >= 0.3 * estimate)  # and by about that much: a measurement
    # the same plateau for both (matched decay), the theory's fixed point
    assert np.allclose(measured["plateau_dae"], measured["fixed_point"], rtol=1e-3)
    assert np.allclose(measured["plateau_wdae"], measured["fixed_point"], rtol=1e-3)


def test_a_run_cut_short_is_flagged_not_settled():
    settings = dict(SETTINGS, modes=[4], noise_levels=[1.0], epochs_factor=1.5, max_epochs=300)
    train = decoupled_trainer(LAM, 4, settings["u0"], LR)
    record = half_times.measure_ratios(LAM, settings, LR, train)
    assert record["epochs_wdae"][0] == 300 < record["predicted_wdae"][0]
    assert not record["settled_wdae"][0]
    assert len(record["mode"]) == 1  # kept in the table, not dropped


def test_an_init_above_half_the_plateau_names_the_key():
    settings = dict(SETTINGS, modes=[6], noise_levels=[1.0], u0=0.05)
    train = decoupled_trainer(LAM, 6, 0.05, LR)
    with pytest.raises(ValueError, match=r"analysis.u0 = 0.05: must be below half"):
        half_times.measure_ratios(LAM, settings, LR, train)


def test_analysis_problems_name_the_key(default_config):
    config = copy.deepcopy(default_config)
    assert half_times.analysis_problems(config) == []
    assert half_times.analysed_datasets(config) == ["mnist", "cifar10"]
    assert half_times.analysis_settings(config)["modes"] == config["fig5"]["modes"]
    config["linear"]["hidden"]["mnist"] = 4  # the default modes follow fig5 (checked there)
    assert half_times.analysis_problems(config) == []
    config["analysis"]["datasets"] = ["cifar10", "svhn"]
    config["analysis"]["modes"] = [1, 600]
    problems = half_times.analysis_problems(config)
    assert problems[0].startswith("analysis.datasets: 'svhn' is not a configured dataset")
    assert problems[1].startswith("analysis.modes = [1, 600]: every mode must be <= ")
    assert "linear.hidden.cifar10 = 512" in problems[1] and len(problems) == 2


# --- the ratio figure ------------------------------------------------------------------------


def _record(measured, **changes):
    record = {k: np.array(v, copy=True) for k, v in measured.items()}
    record.update(changes)
    return {**record, "metadata": dict(SETTINGS, lr=LR)}


def _ratio_tables(default_config, inputs):
    entry = figure("noise_vs_decay")
    settings = entry.settings(default_config)
    settings["datasets"] = list(inputs["half_times"])
    tables = dict(entry.tables(inputs, settings, "corrected"))
    tables["agreement"] = entry.agreement(inputs, settings)
    return entry, settings, tables


def test_ratio_figure_tables_claims_and_plot(measured, default_config):
    inputs = {"half_times": {"toy": _record(measured), "other": _record(measured)}}
    entry, settings, tables = _ratio_tables(default_config, inputs)
    agreement = tables["agreement"]
    assert len(agreement) == 12 and agreement["settled"].all()
    assert np.allclose(agreement["predicted"], 1 + agreement["noise"] / agreement["lambda_bar"])
    curves = tables["curves"]
    theory_rows = curves[(curves.quantity == "half_time_ratio") & (curves.source == "theory")]
    assert np.allclose(np.sort(theory_rows["value"]), np.sort(agreement["predicted"]))
    claims = entry.claims(tables, settings, default_config["claims"], "corrected")
    assert [c.claim_id for c in claims] == [
        "toy_ratio_matches_theory",
        "toy_runs_settled",
        "other_ratio_matches_theory",
        "other_runs_settled",
    ]
    assert all(c.passed for c in claims)
    worst = agreement[agreement.dataset == "toy"]["relative_deviation"].abs().max()
    assert claims[0].measured == pytest.approx(worst)
    drawn = entry.plot(tables, settings, default_config["style"], "corrected")
    assert isinstance(drawn, matplotlib.figure.Figure)
    matplotlib.pyplot.close(drawn)


def test_ratio_claims_fail_on_a_wrong_ratio_or_an_unsettled_run(measured, default_config):
    wrong = _record(measured, measured_wdae=measured["measured_dae"] * 1.0)  # no delay at all
    unsettled = _record(measured, settled_wdae=np.array([True] * 5 + [False]))
    inputs = {"half_times": {"wrong": wrong, "short": unsettled}}
    entry, settings, tables = _ratio_tables(default_config, inputs)
    claims = {
        c.claim_id: c for c in entry.claims(tables, settings, default_config["claims"], "corrected")
    }
    assert not claims["wrong_ratio_matches_theory"].passed
    assert claims["wrong_runs_settled"].passed
    assert claims["short_ratio_matches_theory"].passed
    assert not claims["short_runs_settled"].passed and claims["short_runs_settled"].measured == 1
    assert (~tables["agreement"]["settled"]).sum() == 1  # flagged in the table, not dropped


# --- Fig. 5's panels for the analysed datasets -------------------------------------------------


@pytest.fixture(scope="module")
def panel_inputs():
    """Two toy datasets, their AE / WDAE / DAE trained at a rate the config does not state."""
    rng = np.random.default_rng(3)
    linear_settings = dict(
        hidden=3,
        init_scale=1e-3,
        seed=1,
        lr=0.02,
        epochs=200,
        record_every=20,
        noise=0.5,
        decay=0.5,
    )
    spectra, runs = {}, {}
    for name, scale in (("toy", 4.0), ("other", 2.0)):
        basis, _ = np.linalg.qr(rng.standard_normal((6, 6)))
        lam = scale * np.array([1.0, 0.6, 0.3, 0.1, 0.05, 0.01])
        spectra[name] = Spectrum(name, 100, lam, basis, float(lam.sum()))
        for model in MODELS:
            w1, w2 = linear_init.initial_weights(6, 3, 1e-3, 1, model)
            u0 = linear_init.authors_u0(w1, w2, 3)
            w1, w2 = linear_init.decoupled_weights(basis, 3, u0)
            noise, decay = linear_regularisers(model, linear_settings)
            run = linear.train_eigenbasis(
                lam,
                basis,
                w1,
                w2,
                lr=0.02,
                epochs=200,
                decay=decay,
                noise=noise,
                steps=linear.record_steps(200, 20),
                dtype="float64",
            )
            runs[(name, model)] = dict(
                steps=run.steps,
                projections=run.projections,
                singular_values=run.singular_values,
                metadata={"init_u0": u0, "lr": 0.02},
            )
    return {"spectra": spectra, "runs": runs, "sampled": {}, "half_times": {}}


def test_panels_are_fig5_corrected_at_the_runs_rates(panel_inputs, default_config):
    config = copy.deepcopy(default_config)
    config["datasets"] = {"toy": {}, "other": {}}
    config["linear"].update(hidden={"toy": 3, "other": 3}, lr={"toy": 9.0, "other": 9.0})
    config["linear"].update(epochs=200, record_every=20)
    config["analysis"]["modes"] = [1, 2, 3]
    entry = figure("analysis_panels")
    settings = entry.settings(config)
    assert settings["datasets"] == ["toy", "other"]
    tables = dict(entry.tables(panel_inputs, settings, "corrected"))
    assert set(tables["curves"]["lr"]) == {0.02}  # the runs' rate, not the config's 9.0
    fig5_settings = {
        **settings,
        "linear": {**settings["linear"], "lr": {"toy": 0.02, "other": 0.02}},
    }
    expected = FIG5.tables(panel_inputs, fig5_settings, "corrected")["curves"]
    pd.testing.assert_frame_equal(tables["curves"], expected)
    tables["agreement"] = entry.agreement(panel_inputs, settings)
    assert len(tables["agreement"]) == 2 * 3 * 3
    claims = entry.claims(tables, settings, config["claims"], "corrected")
    assert {c.figure for c in claims} == {"analysis_panels"}
    ids = [c.claim_id for c in claims]
    assert "toy_theory_tracks_runs" in ids and "other_noise_lowers_plateaus" in ids
    assert len(ids) == 2 * 4 and all(c.claim.startswith(("toy: ", "other: ")) for c in claims)
    drawn = entry.plot(tables, settings, config["style"], "corrected")
    matplotlib.pyplot.close(drawn)


def test_panels_refuse_runs_of_one_dataset_at_different_rates(panel_inputs, default_config):
    inputs = copy.deepcopy(panel_inputs)
    inputs["runs"][("toy", "DAE")]["metadata"]["lr"] = 0.01
    entry = figure("analysis_panels")
    with pytest.raises(ValueError, match="linear runs of toy were trained with different"):
        entry.tables(inputs, entry.settings(default_config), "corrected")


def test_analysis_figures_are_single_renderings_without_notes():
    stems = [stem for stem, entry in REGISTRY.items() if entry.family == "analysis"]
    assert stems == ["analysis_spectra", "analysis_panels", "noise_vs_decay"]
    for stem in stems:
        assert REGISTRY[stem].variants == ("corrected",) and not REGISTRY[stem].has_notes
