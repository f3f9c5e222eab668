"""A small real run of Figs 5-6 up to provenance.json: every training record states what it
was trained with, and provenance.json reports it for every run (finding 11); a degenerate
dataset stops the run with one line (finding 2, the one-clear-line principle).

Tiny synthetic datasets through the import path, a few hundred epochs: the same jobs as a
paper run, in seconds.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import snakemake, synthetic_dataset, write_yaml

from lindae.io import load_record

pytestmark = pytest.mark.workflow

SAMPLES = 80
OVERRIDE = {
    "figures": [5, 6],
    "device": "cpu",
    "linear": {
        "hidden": {"mnist": 4, "cifar10": 4},
        "lr": {"mnist": 0.002, "cifar10": 0.0004},
        "epochs": 200,
        "record_every": 50,
        "sampled_noise": {"subset": SAMPLES, "epochs": 100, "batch_size": 0},
    },
    "nonlinear": {"hidden": {"mnist": 4, "cifar10": 4}, "epochs": 40, "modes": 2},
    "fig5": {"modes": [1, 2]},
    "style": {"dpi": 50},
}
#: What each model was trained with: (noise, decay) of the linear models, (noise_std,
#: weight_decay) of the ReLU ones, in the shipped config.
LINEAR = {"AE": (0.0, 0.0), "WDAE": (0.0, 0.5), "DAE": (0.5, 0.0)}
NONLINEAR = {"AE": (0.0, 0.0), "WDAE": (0.0, 0.0045), "DAE": (2.0, 0.0)}


def _nulls(value, path="") -> list[str]:
    """The paths of every null in a JSON value."""
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _nulls(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _nulls(item, f"{path}[{index}]")]
    return []


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("records")
    datasets = {}
    for seed, name in enumerate(("mnist", "cifar10")):
        np.savez(workdir / f"{name}.npz", **synthetic_dataset(name, SAMPLES, seed=seed + 3))
        datasets[name] = {"import_npz": "{data_root}/" + f"{name}.npz", "subset": SAMPLES}
    config = write_yaml(
        workdir / "small.yaml", {**OVERRIDE, "data_root": str(workdir), "datasets": datasets}
    )
    snakemake(workdir, "--cores", "2", "results/provenance.json", configs=(config,))
    return workdir


def test_every_record_states_the_settings_of_its_own_model(run_dir):
    results = run_dir / "results"
    for dataset in ("mnist", "cifar10"):
        for model, (noise, decay) in LINEAR.items():
            meta = load_record(results / "linear" / f"{dataset}_{model}.npz")["metadata"]
            assert (meta["model"], meta["noise"], meta["decay"]) == (model, noise, decay)
            assert meta["seed"] == 321 and meta["dtype"] == "float32" and meta["device"] == "cpu"
            assert meta["wall_seconds"] > 0 and "settings" not in meta
        for model, (noise_std, weight_decay) in NONLINEAR.items():
            meta = load_record(results / "nonlinear" / f"{dataset}_{model}.npz")["metadata"]
            assert (meta["noise_std"], meta["weight_decay"]) == (noise_std, weight_decay)
    sampled = load_record(results / "linear" / "mnist_DAE-sampled.npz")["metadata"]
    assert (sampled["noise"], sampled["decay"], sampled["seed"], sampled["noise_seed"]) == (
        0.5,
        0.0,
        321,
        7,
    )


def test_provenance_reports_every_run_without_a_null(run_dir):
    payload = json.loads((run_dir / "results" / "provenance.json").read_text())
    runs = payload["training_runs"]
    assert len(runs) == 2 * 3 + 1 + 2 * 3  # linear, sampled noise, ReLU
    assert _nulls(runs) == []
    for key, run in runs.items():
        family, name = key.split("/")
        model = name.split("_", 1)[1]
        assert {"seed", "device", "dtype", "wall_seconds", "lr", "epochs"} <= set(run), key
        if family == "linear" and model in LINEAR:
            assert (run["noise"], run["decay"]) == LINEAR[model]
        if family == "nonlinear":
            assert (run["noise_std"], run["weight_decay"]) == NONLINEAR[model]
    assert runs["linear/mnist_DAE-sampled"]["noise_seed"] == 7


def test_a_degenerate_dataset_stops_with_one_line(tmp_path):
    """Finding 2 end to end: an all-zero CIFAR-10 of the right shape and dtype ran to exit 0."""
    zeros = {
        "train_images": np.zeros((SAMPLES, 32, 32, 3), np.uint8),
        "train_labels": np.zeros(SAMPLES, np.uint8),
        "test_images": np.zeros((2, 32, 32, 3), np.uint8),
        "test_labels": np.zeros(2, np.uint8),
    }
    np.savez(tmp_path / "zeros.npz", **zeros)
    overlay = {"datasets": {"cifar10": {"import_npz": str(tmp_path / "zeros.npz")}}}
    config = write_yaml(tmp_path / "zeros.yaml", overlay)
    result = snakemake(
        tmp_path, "--cores", "1", "results/data/cifar10.npz", configs=(config,), check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    line = next(line for line in output.splitlines() if line.startswith("lindae: error: "))
    assert f"{tmp_path / 'zeros.npz'}: train_images (cifar10, {SAMPLES} images)" in line
    assert "every pixel is 0" in line
    assert "Traceback" not in output  # Snakemake prints the job's log: no traceback there
    logs = tmp_path / "results" / "logs" / "data"
    assert "every pixel is 0" in (logs / "cifar10.log").read_text()
    assert "Traceback" in (logs / "cifar10.log.traceback").read_text()
    assert not (tmp_path / "results" / "data" / "cifar10.npz").exists()
