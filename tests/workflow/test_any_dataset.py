"""A dataset is configuration: two more datasets by a config overlay alone, no code change.

``fashion`` is downloaded by torchvision's FashionMNIST class from a file:// mirror of
synthetic IDX files; ``bright`` is imported from an ``.npz`` of bright 16 x 16 images, whose
large lambda_bar_1 puts the paper's fixed MNIST learning rate above the stability bound: with
``lr: auto`` it trains, at a learning rate derived from its spectrum and recorded in the runs;
with the fixed rate the job stops with the stability message. The paper's Fig. 5 still plans
its two datasets only. One Snakemake run for the module (plus a failing job and a dry run).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import mnist_arrays, snakemake, url, write_mnist_mirror, write_yaml

from lindae import models
from lindae.io import load_record
from lindae.spectra import load_spectrum

pytestmark = pytest.mark.workflow

MODELS = ("AE", "WDAE", "DAE")


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
    workdir = tmp_path_factory.mktemp("any_dataset")
    md5 = write_mnist_mirror(workdir / "mirror", mnist_arrays(count=30, seed=2))
    np.savez(workdir / "bright.npz", **_bright())
    overlay = {
        "data_root": str(workdir),
        "datasets": {
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
            "hidden": {"fashion": 4, "bright": 4},
            "lr": {"fashion": "auto", "bright": "auto"},
            "epochs": 300,
            "record_every": 50,
        },
        "fig5": {"modes": [1, 2]},
    }
    config = write_yaml(workdir / "datasets.yaml", overlay)
    targets = ["results/linear/fashion_AE.npz"]
    targets += [f"results/linear/bright_{model}.npz" for model in MODELS]
    snakemake(workdir, "--cores", "2", *targets, configs=(config,))
    # the paper's fixed MNIST rate on the bright images (its own results folder), long enough
    # for the oscillation monitor to see the top mode swing
    linear = {"lr": {"bright": 0.01}, "epochs": 3000, "record_every": 100}
    fixed = write_yaml(workdir / "fixed.yaml", {"results_dir": "fixed", "linear": linear})
    refused = snakemake(
        workdir, "--cores", "1", "fixed/linear/bright_AE.npz", configs=(config, fixed), check=False
    )
    planned = snakemake(workdir, "-n", "--cores", "1", "fig5", configs=(config,))
    return workdir, refused, planned


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
    auto = models.auto_learning_rate(spectrum.eigenvalues, 0.5, 0.5, 4, 0.5)
    metadata = [load_record(workdir / f"results/linear/bright_{m}.npz")["metadata"] for m in MODELS]
    assert {meta["lr"] for meta in metadata} == {auto.value}  # one lr for the three models
    assert all(meta["lr_source"] == "auto" and meta["lr_rule"] == str(auto) for meta in metadata)
    log = (workdir / "results/logs/train_linear/bright_DAE.log").read_text()
    assert f"lr auto = {auto.value:.6g} = 0.5 x bound" in log
    final = load_record(workdir / "results/linear/bright_AE.npz")["projections"][-1, 0]
    assert final == pytest.approx(1.0, abs=1e-3)  # the AE learns the top mode


def test_the_fixed_paper_rate_is_refused_with_the_stability_message(run):
    workdir, refused, _ = run
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "full-batch GD is stable only for lr < 1/lambda_bar_1" in output
    assert "lower the learning rate in the config" in output
    assert not (workdir / "fixed/linear/bright_AE.npz").exists()


def test_fig5_still_plans_only_the_paper_datasets(run):
    _, _, planned = run
    output = planned.stdout + planned.stderr
    assert "Training the linear AE on mnist" in output and "on cifar10" in output
    assert "fashion" not in output and "bright" not in output
