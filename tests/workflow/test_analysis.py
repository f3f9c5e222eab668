"""Any dataset by config alone, through the `analysis` target, end to end (issue 15).

One config overlay, no code change, adds two datasets beside a small MNIST (an ``.npz`` import):

* ``fashion``, downloaded by torchvision's FashionMNIST class from a file:// mirror of synthetic
  IDX files;
* ``bright``, imported from an ``.npz`` of bright 16 x 16 images, whose large lambda_bar_1 puts
  the paper's fixed MNIST learning rate above the stability bound: given no learning rate (the
  same as ``lr: auto``) it trains, at a rate derived from its spectrum and recorded in the
  runs; with the fixed rate the job stops with the stability message.

The `analysis` target then builds, for the three of them, the spectra, the linear AE / WDAE /
DAE, the Fig. 5-style panels with their agreement table and claims, and the half-time ratio of
weight decay to noise measured on trained models; the report shows them. The paper's targets
plan none of it, and Fig. 5 still plans its two datasets only. One Snakemake run for the
module (plus the report, a failing job and dry runs).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import mnist_arrays, snakemake, synthetic_dataset, url, write_mnist_mirror, write_yaml

from lindae import models, theory
from lindae.io import load_record
from lindae.spectra import load_spectrum

pytestmark = pytest.mark.workflow

SAMPLES = 300
DATASETS = ("mnist", "fashion", "bright")
MODELS = ("AE", "WDAE", "DAE")
MODES = [1, 2, 4]
NOISE = [0.25, 1.0]
HIDDEN = 6


def _bright(count: int = 40) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    images = rng.integers(150, 256, (count, 16, 16), dtype=np.uint8)
    labels = rng.integers(0, 3, count).astype(np.uint8)
    return {
        "train_images": images,
        "train_labels": labels,
        "test_images": images[:4],
        "test_labels": labels[:4],
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("analysis")
    np.savez(workdir / "mnist.npz", **synthetic_dataset("mnist", SAMPLES, seed=5))
    md5 = write_mnist_mirror(workdir / "mirror", mnist_arrays(count=30, seed=2))
    np.savez(workdir / "bright.npz", **_bright())
    overlay = {
        "data_root": str(workdir),
        "style": {"dpi": 50},
        "datasets": {
            "mnist": {"import_npz": "{data_root}/mnist.npz", "subset": SAMPLES},
            "fashion": {
                "title": "Fashion-MNIST",
                "torchvision": "FashionMNIST",
                "mirrors": [url(workdir / "mirror")],
                "md5": md5,
                "subset": 30,
            },
            "bright": {"import_npz": "{data_root}/bright.npz", "subset": 40},
        },
        "linear": {
            "hidden": dict.fromkeys(DATASETS, HIDDEN),
            "lr": {"mnist": 0.002, "fashion": "auto"},  # bright: none given, so auto too
            "epochs": 300,
            "record_every": 50,
            "init": "decoupled",
            "sampled_noise": {"subset": SAMPLES},
        },
        "fig5": {"modes": MODES},
        "analysis": {
            "datasets": list(DATASETS),
            "modes": MODES,
            "noise_levels": NOISE,
            "records": 100,
        },
    }
    config = write_yaml(workdir / "datasets.yaml", overlay)
    snakemake(workdir, "--cores", "2", "analysis", configs=(config,))
    snakemake(workdir, "--report", "results/report.html", "analysis", configs=(config,))
    # the paper's fixed MNIST rate on the bright images (its own results folder), long enough
    # for the oscillation monitor to see the top mode swing
    linear = {"lr": {"bright": 0.01}, "epochs": 3000, "record_every": 100}
    fixed = write_yaml(workdir / "fixed.yaml", {"results_dir": "fixed", "linear": linear})
    refused = snakemake(
        workdir, "--cores", "1", "fixed/linear/bright_AE.npz", configs=(config, fixed), check=False
    )
    return workdir, config, refused


# --- the datasets: from torchvision, from an .npz, at a learning rate of their spectrum ----


def test_a_torchvision_class_by_config_alone(run):
    workdir, _, _ = run
    manifest = json.loads((workdir / "results/data/fashion_manifest.json").read_text())
    assert manifest["method"] == "download" and manifest["counts"] == {"train": 30, "test": 5}
    served = manifest["files"]["train-images-idx3-ubyte.gz"]["url"]
    assert served == url(workdir / "mirror") + "train-images-idx3-ubyte.gz"
    spectrum = load_spectrum(workdir / "results/spectra/fashion.npz")
    assert spectrum.dimension == 784 and spectrum.n_samples == 30
    record = load_record(workdir / "results/linear/fashion_AE.npz")
    assert record["metadata"]["dataset"] == "fashion" and record["metadata"]["lr_source"] == "auto"


def test_an_imported_dataset_trains_at_the_learning_rate_of_its_spectrum(run):
    workdir, _, _ = run
    spectrum = load_spectrum(workdir / "results/spectra/bright.npz")
    assert spectrum.dimension == 256 and spectrum.eigenvalues[0] > 100  # bright: 1/lambda_1 < 0.01
    auto = models.auto_learning_rate(spectrum.eigenvalues, 0.5, 0.5, HIDDEN, 0.5)
    metadata = [load_record(workdir / f"results/linear/bright_{m}.npz")["metadata"] for m in MODELS]
    assert {meta["lr"] for meta in metadata} == {auto.value}  # one lr for the three models
    assert all(meta["lr_source"] == "auto" and meta["lr_rule"] == str(auto) for meta in metadata)
    log = (workdir / "results/logs/train_linear/bright_DAE.log").read_text()
    assert f"lr auto = {auto.value:.6g} = 0.5 x bound" in log
    final = load_record(workdir / "results/linear/bright_AE.npz")["projections"][-1, 0]
    assert final == pytest.approx(1.0, abs=1e-3)  # the AE learns the top mode


def test_the_fixed_paper_rate_is_refused_with_the_stability_message(run):
    workdir, _, refused = run
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "full-batch GD is stable only for lr < 1/lambda_bar_1" in output
    assert "lower the learning rate in the config" in output
    assert not (workdir / "fixed/linear/bright_AE.npz").exists()


# --- the analysis of every dataset -----------------------------------------------------------


def test_outputs_and_report(run):
    workdir, _, _ = run
    figures = workdir / "results" / "figures"
    for stem in ("analysis_spectra", "analysis_panels", "noise_vs_decay"):
        for ending in (".pdf", ".png", ".csv"):
            assert (figures / f"{stem}{ending}").stat().st_size > 500, stem
        assert not (figures / f"{stem}_notes.json").exists()
    captions = (workdir / "results" / "report" / "analysis_captions.rst").read_text()
    assert 'stem == "noise_vs_decay"' in captions and "PASS" in captions
    assert "**Claims** (``results/analysis_claims.csv``)" in captions
    assert "results/claims.csv" not in captions
    assert not (workdir / "results" / "claims.csv").exists()  # the paper's claims: `all` only
    html = (workdir / "results" / "report.html").read_text()
    for name in ("analysis_panels.png", "noise_vs_decay.png", "analysis_claims.csv"):
        assert name in html


def test_panels_agreement_covers_every_dataset_with_the_runs_rates(run):
    workdir, _, _ = run
    agreement = pd.read_csv(workdir / "results" / "analysis_panels_agreement.csv")
    assert len(agreement) == len(DATASETS) * len(MODELS) * HIDDEN  # dataset x model x mode <= H
    assert set(agreement.dataset) == set(DATASETS)
    curves = pd.read_csv(workdir / "results" / "figures" / "analysis_panels.csv")
    rates = curves.groupby("dataset")["lr"].first()
    for dataset in DATASETS:
        trained = load_record(workdir / f"results/linear/{dataset}_DAE.npz")["metadata"]["lr"]
        assert rates[dataset] == trained
    assert rates["mnist"] == 0.002
    assert set(curves["run"]) == set(MODES)


def test_ratio_table_measures_the_theory(run):
    workdir, _, _ = run
    table = pd.read_csv(workdir / "results" / "noise_vs_decay_agreement.csv")
    assert len(table) == len(DATASETS) * len(MODES) * len(NOISE)
    assert table.settled.all()
    expected = theory.time_ratio_wdae_to_dae(table.lambda_bar, table.noise)
    assert np.allclose(table.predicted, expected, rtol=1e-9)
    deviation = (table.measured / table.predicted - 1).abs()
    assert np.allclose(deviation, table.relative_deviation.abs())
    # within GD's first-order discretisation estimate lr gamma / 2 (plus interpolation slack)
    assert (deviation <= table.discretisation_estimate.abs() + 2e-3).all(), table
    assert (table.measured > 1).all() and deviation.max() > 0  # measured, not copied


def test_claims_file(run):
    workdir, _, _ = run
    claims = pd.read_csv(workdir / "results" / "analysis_claims.csv")
    ids = set(claims.claim_id)
    for dataset in DATASETS:
        assert {f"{dataset}_ratio_matches_theory", f"{dataset}_runs_settled"} <= ids
        assert f"{dataset}_theory_tracks_runs" in ids  # Fig. 5's claims, per dataset
    assert set(claims.figure) == {"analysis_panels", "noise_vs_decay"}
    ratio = claims[claims.figure == "noise_vs_decay"]
    assert ratio.measured.notna().all()
    assert ratio.passed.all()


# --- the paper's targets are untouched -------------------------------------------------------


def test_the_paper_targets_plan_none_of_it(run):
    workdir, config, _ = run
    planned = snakemake(workdir, "-n", "all", configs=(config,)).stdout
    for rule in ("train_half_times", "analysis_claims", "analysis_plot", "noise_vs_decay_data"):
        assert f"rule {rule}:" not in planned and f"\n{rule} " not in planned
    fig5 = snakemake(workdir, "-n", "--cores", "1", "fig5", configs=(config,))
    output = fig5.stdout + fig5.stderr
    assert "Training the linear AE on mnist" not in output  # built by the analysis already
    assert "Training the linear AE on cifar10" in output
    assert "fashion" not in output and "bright" not in output
