"""End to end: the workflow builds Figs 1-4 (both variants); their tables hit reference numbers.

One session-scoped run of the default target into a temporary working directory; every test
below reads what that run wrote.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import job_stats, snakemake, write_yaml

from lindae import theory

pytestmark = pytest.mark.workflow

FIGURES = (1, 2, 3, 4)
SUFFIXES = ("", "_corrected")
TARGETS = ("fig1", "fig2", "fig3", "fig4")  # the data-free figures (Fig. 5: test_workflow_fig5)


@pytest.fixture(scope="session")
def run_dir(paper_figures_1_to_4):
    """The run of targets fig1 ... fig4 (tests/conftest.py; the quick-preset test reuses it)."""
    return paper_figures_1_to_4


@pytest.fixture(scope="session")
def tables(run_dir):
    return {
        (figure, suffix): pd.read_csv(run_dir / "results" / "figures" / f"fig{figure}{suffix}.csv")
        for figure in FIGURES
        for suffix in SUFFIXES
    }


def test_clean_checkout_dry_run_lists_the_jobs(tmp_path):
    """All targets plan without data or network; only the download rules would touch it."""
    result = snakemake(tmp_path, "-n", "--cores", "1")
    assert job_stats(result.stdout + result.stderr) == {
        "download_mnist": 1,
        "download_cifar10": 1,
        "spectrum": 2,
        "train_linear": 6,
        "train_sampled_noise": 1,
        "fig5_data": 2,
        "fig5_agreement": 1,
        "fig5_sampled_noise_data": 1,
        "spectra_data": 1,
        "train_nonlinear": 6,
        "fig6_data": 2,
        "fig6_agreement": 1,
        "fig1_data": 2,
        "fig2_data": 2,
        "fig3_data": 2,
        "fig4_data": 2,
        "figure_plot": 14,
        "claims": 1,
        "provenance": 1,
        "default": 1,
    }


@pytest.mark.parametrize("target", ["fig1", "fig2", "fig3", "fig4"])
def test_named_figure_targets(tmp_path, target):
    result = snakemake(tmp_path, "-n", "--cores", "1", target)
    assert job_stats(result.stdout + result.stderr) == {
        f"{target}_data": 2,
        "figure_plot": 2,
        target: 1,
    }


def test_every_output_exists(run_dir):
    figures = run_dir / "results" / "figures"
    for figure in FIGURES:
        for suffix in SUFFIXES:
            for extension in ("pdf", "png", "csv"):
                path = figures / f"fig{figure}{suffix}.{extension}"
                assert path.stat().st_size > 1000, path
            assert (figures / f"fig{figure}{suffix}_notes.json").is_file()
    for log in (run_dir / "results" / "logs").rglob("*.log"):
        assert "job failed" not in log.read_text()


def test_no_nan_or_inf_in_any_table(tables):
    for key, table in tables.items():
        assert np.isfinite(table["value"]).all(), key


def test_fig1_fixed_points_and_gd_vs_s11(tables):
    table = tables[(1, "")]
    fixed = table[table.quantity == "fixed_point"].set_index("noise")["value"]
    assert fixed.loc[0.0] == 1.0 and fixed.loc[1.0] == 0.5
    assert fixed.loc[5.0] == pytest.approx(1 / 6, abs=1e-15)
    expected = {0.0: 0.020, 1.0: 0.041, 5.0: 0.158}
    for noise, reference in expected.items():
        rows = table[(table.noise == noise) & (table.quantity == "mapping")]
        sim = rows[rows.source == "simulation"].pivot(index="epoch", columns="run", values="value")
        theo = rows[rows.source == "theory"].pivot(index="epoch", columns="run", values="value")
        assert sim.shape == (201, 10) and theo.shape == (200, 10)  # invariant 12
        gap = np.abs(sim.loc[theo.index] - theo).to_numpy().max()
        assert gap == pytest.approx(reference, abs=0.002), noise


def test_fig1_corrected_theory_on_the_simulation_grid(tables):
    table = tables[(1, "_corrected")]
    theo = table[(table.source == "theory") & (table.quantity == "mapping")]
    assert theo.groupby(["noise", "run"]).size().eq(201).all()


def test_fig2_shapes_and_matched_plateaus(tables):
    table = tables[(2, "")]
    sizes = table.groupby(["lam", "noise", "model"]).size()
    assert len(sizes) == 3 * 10 * 2 and sizes.eq(20000).all()
    final = table[table.epoch == 19999].pivot_table(
        index=["lam", "noise"], columns="model", values="value"
    )
    converged = final.loc[2.5]
    assert np.abs(converged["DAE"] - converged["WDAE"]).max() <= 1e-12
    # matched decay: WDAE never ahead of the DAE
    for (lam, noise), group in table.groupby(["lam", "noise"]):
        dae = group[group.model == "DAE"]["value"].to_numpy()
        wdae = group[group.model == "WDAE"]["value"].to_numpy()
        assert np.all(wdae <= dae + 1e-15), (lam, noise)


def test_fig3_reference_rates(tables):
    table = tables[(3, "")]
    rates = table[table.panel == "rates"].pivot(index="noise", columns="model", values="value")
    assert len(rates) == 500
    assert rates.loc[0.0].to_dict() == {"DAE": 0.5, "WDAE": 0.5, "ratio": 1.0}
    last = rates.iloc[-1]
    assert rates.index[-1] == pytest.approx(9.98, abs=1e-12)
    assert round(last["DAE"], 5) == 0.03131
    assert round(last["WDAE"], 5) == 0.34377
    assert round(last["ratio"], 5) == 0.09107
    # the analytic epsilon = 10 values, from the same formulas the figure uses
    gamma = theory.matched_weight_decay(1.0, 10.0)
    assert theory.optimal_learning_rate_dae(1.0, 10.0) == pytest.approx(1 / 32, abs=1e-12)
    assert theory.optimal_learning_rate_wdae(1.0, gamma) == pytest.approx(11 / 32, abs=1e-12)


def test_fig3_faithful_shows_dae_ahead_corrected_coincides(tables):
    faithful = tables[(3, "")]
    difference = faithful[faithful.panel == "difference"]
    assert difference.groupby("noise")["value"].max().iloc[1:].min() > 0.2
    corrected = tables[(3, "_corrected")]
    assert np.abs(corrected[corrected.panel == "difference"]["value"]).max() <= 1e-12


def test_fig4_reference_numbers(tables):
    table = tables[(4, "")]
    decay_row = table[table.panel == "weight_decay"]
    assert decay_row["decay"].iloc[0] == pytest.approx(1 / 11, abs=1e-15)
    assert round(decay_row["decay"].iloc[0], 4) == 0.0909
    for panel in ("noise", "weight_decay"):
        fixed = table[(table.panel == panel) & (table.quantity == "fixed_point")]["value"]
        assert fixed.iloc[0] == pytest.approx(10 / 11, abs=1e-15)
    limits = decay_row[decay_row.quantity == "norm_limit"]["value"]
    assert np.allclose(limits, np.sqrt(20 / 11), atol=1e-15) and round(limits.iloc[0], 4) == 1.3484
    norms = decay_row[decay_row.quantity == "weight_norm"].pivot(
        index="epoch", columns="run", values="value"
    )
    assert norms.shape == (1001, 11)
    distance = np.abs(norms - np.sqrt(20 / 11))
    # every WDAE run heads to the same norm: the distance shrinks over the second half
    assert (distance.loc[1000] < distance.loc[500]).all()
    assert distance.loc[1000].max() < 0.05
    noise_row = table[(table.panel == "noise") & (table.quantity == "weight_norm")]
    assert np.ptp(noise_row[noise_row.epoch == 1000]["value"]) > 0.5  # init-dependent norms


def test_corrected_notes_name_each_difference(run_dir):
    import json

    figures = run_dir / "results" / "figures"
    fig3 = json.loads((figures / "fig3_corrected_notes.json").read_text())
    assert any("removes the speed advantage" in d["corrected"] for d in fig3["differences"])
    fig2 = json.loads((figures / "fig2_corrected_notes.json").read_text())
    assert {d["item"] for d in fig2["differences"]} >= {"alpha range", "dropped column"}


def test_rerun_with_nothing_changed_runs_nothing(run_dir):
    result = snakemake(run_dir, "-n", "--cores", "1", *TARGETS)
    assert "Nothing to be done" in result.stdout + result.stderr


def test_colour_change_reruns_only_plotting(run_dir):
    override = write_yaml(run_dir / "colour.yaml", {"style": {"colors": {"dae": "purple"}}})
    result = snakemake(run_dir, "-n", "--cores", "1", *TARGETS, configs=(override,))
    jobs = job_stats(result.stdout + result.stderr)
    assert jobs.get("figure_plot", 0) > 0
    assert not any(job.endswith("_data") for job in jobs)


def test_setting_change_reruns_compute_for_that_figure_only(run_dir):
    override = write_yaml(run_dir / "fig4.yaml", {"fig4": {"noise": 0.2}})
    result = snakemake(run_dir, "-n", "--cores", "1", *TARGETS, configs=(override,))
    jobs = job_stats(result.stdout + result.stderr)
    computed = {job: count for job, count in jobs.items() if job.endswith("_data")}
    assert computed == {"fig4_data": 2} and jobs["figure_plot"] == 2


def test_report_after_single_figure_targets_says_claims_are_unchecked(run_dir):
    """--report works before the main job ever checked the claims (placeholder captions)."""
    snakemake(run_dir, "--report", "results/report.html", *TARGETS)
    html = (run_dir / "results" / "report.html").read_text()
    assert "Claims not checked yet" in html
    assert "fig4_corrected.png" in html
