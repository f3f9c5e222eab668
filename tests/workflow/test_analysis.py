"""Target analysis end to end on small synthetic datasets (an .npz import each): spectra,
linear training, Fig. 5-style panels with their agreement and claims, and the half-time ratio of
weight decay to noise measured on trained models; `all` plans none of it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import snakemake, synthetic_dataset, write_yaml

from lindae import theory

pytestmark = pytest.mark.workflow

SAMPLES = 400
LR = {"mnist": 0.002, "cifar10": 0.0004}
MODES = [1, 2, 4]
NOISE = [0.25, 1.0]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("analysis")
    for name in ("mnist", "cifar10"):
        np.savez(workdir / f"{name}.npz", **synthetic_dataset(name, SAMPLES, seed=len(name)))
    override = {
        "data_root": str(workdir),
        "style": {"dpi": 50},
        "datasets": {
            name: {"import_npz": "{data_root}/" + f"{name}.npz", "subset": SAMPLES}
            for name in ("mnist", "cifar10")
        },
        "linear": {
            "hidden": {"mnist": 6, "cifar10": 6},
            "lr": LR,
            "epochs": 300,
            "record_every": 50,
            "init": "decoupled",
        },
        "fig5": {"modes": MODES},
        "analysis": {"modes": MODES, "noise_levels": NOISE, "records": 100},
    }
    config = write_yaml(workdir / "small.yaml", override)
    snakemake(workdir, "--cores", "2", "analysis", configs=(config,))
    return workdir, config


def test_outputs(run_dir):
    workdir, _ = run_dir
    figures = workdir / "results" / "figures"
    for stem in ("analysis_spectra", "analysis_panels", "noise_vs_decay"):
        for ending in (".pdf", ".png", ".csv"):
            assert (figures / f"{stem}{ending}").stat().st_size > 500, stem
        assert not (figures / f"{stem}_notes.json").exists()
    captions = (workdir / "results" / "report" / "analysis_captions.rst").read_text()
    assert 'stem == "noise_vs_decay"' in captions and "PASS" in captions
    assert not (workdir / "results" / "claims.csv").exists()  # the paper's claims: `all` only


def test_panels_agreement_covers_every_dataset_with_the_runs_rates(run_dir):
    workdir, _ = run_dir
    agreement = pd.read_csv(workdir / "results" / "analysis_panels_agreement.csv")
    assert len(agreement) == 2 * 3 * 6  # dataset x model x mode <= H
    assert set(agreement.dataset) == {"mnist", "cifar10"}
    curves = pd.read_csv(workdir / "results" / "figures" / "analysis_panels.csv")
    assert set(curves.groupby("dataset")["lr"].first().items()) == set(LR.items())
    assert set(curves["run"]) == set(MODES)


def test_ratio_table_measures_the_theory(run_dir):
    workdir, _ = run_dir
    table = pd.read_csv(workdir / "results" / "noise_vs_decay_agreement.csv")
    assert len(table) == 2 * len(MODES) * len(NOISE)
    assert table.settled.all()
    expected = theory.time_ratio_wdae_to_dae(table.lambda_bar, table.noise)
    assert np.allclose(table.predicted, expected, rtol=1e-9)
    deviation = (table.measured / table.predicted - 1).abs()
    assert np.allclose(deviation, table.relative_deviation.abs())
    # within GD's first-order discretisation estimate lr gamma / 2 (plus interpolation slack)
    assert (deviation <= table.discretisation_estimate.abs() + 2e-3).all(), table
    assert (table.measured > 1).all() and deviation.max() > 0  # measured, not copied


def test_claims_file(run_dir):
    workdir, _ = run_dir
    claims = pd.read_csv(workdir / "results" / "analysis_claims.csv")
    ids = set(claims.claim_id)
    for dataset in ("mnist", "cifar10"):
        assert {f"{dataset}_ratio_matches_theory", f"{dataset}_runs_settled"} <= ids
        assert f"{dataset}_theory_tracks_runs" in ids  # Fig. 5's claims, per dataset
    assert set(claims.figure) == {"analysis_panels", "noise_vs_decay"}
    ratio = claims[claims.figure == "noise_vs_decay"]
    assert ratio.passed.all() and ratio.measured.notna().all()


def test_all_plans_no_analysis_job(run_dir):
    workdir, config = run_dir
    planned = snakemake(workdir, "-n", "all", configs=(config,)).stdout
    for rule in ("train_half_times", "analysis_claims", "analysis_plot", "noise_vs_decay_data"):
        assert f"rule {rule}:" not in planned and f"\n{rule} " not in planned
    assert "train_linear" not in planned.split("Job stats:")[-1] or "fig5_data" in planned
