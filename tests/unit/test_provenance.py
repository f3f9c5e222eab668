"""lindae.workflow.provenance: config hash, seeds, git state, stage times from benchmarks."""

from __future__ import annotations

import tomllib

import pytest
import yaml
from conftest import ROOT

import lindae
from lindae.io import IntermediateFileError
from lindae.workflow import provenance


def test_config_hash_ignores_key_order_and_sees_values():
    first = {"a": 1, "b": {"c": [1, 2]}}
    assert provenance.config_hash(first) == provenance.config_hash({"b": {"c": [1, 2]}, "a": 1})
    assert provenance.config_hash(first) != provenance.config_hash({"a": 2, "b": {"c": [1, 2]}})


def test_seeds_and_git_state(tmp_path, default_config):
    seeds = provenance.find_seeds(default_config)
    assert seeds["nonlinear.seed"] == default_config["nonlinear"]["seed"]
    assert seeds["fig1.seed_stride"] == default_config["fig1"]["seed_stride"]
    state = provenance.git_state(ROOT)
    if state["commit"] is not None:  # a git checkout (CI's clone is one)
        assert len(state["commit"]) == 40 and isinstance(state["dirty"], bool)
    assert provenance.git_state(tmp_path)["commit"] is None


def test_benchmark_times_sum_per_stage(tmp_path):
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    for stage, job, seconds in (("train", "a", 2.5), ("train", "b", 1.5), ("plot", "c", 0.5)):
        (tmp_path / stage).mkdir(exist_ok=True)
        (tmp_path / stage / f"{job}.tsv").write_text(
            header + f"{seconds}\t0:00:02\t100.5\t1\t1\t1\t0\t0\t0\t1\n"
        )
    (tmp_path / "agreement.tsv").write_text(header + "0.25\t0:00:00\t-\t1\t1\t1\t0\t0\t0\t1\n")
    times = provenance.benchmark_times(tmp_path)
    assert times["train"] == {"jobs": 2, "seconds": 4.0, "max_seconds": 2.5, "max_rss_mb": 100.5}
    assert times["plot"]["jobs"] == 1
    assert times["agreement"] == {
        "jobs": 1,
        "seconds": 0.25,
        "max_seconds": 0.25,
        "max_rss_mb": 0.0,
    }


def test_provenance_records_the_lindae_version(tmp_path, default_config):
    record = provenance.provenance(default_config, ROOT, tmp_path)
    assert record["lindae_version"] == lindae.__version__ == "0.2.0"
    # one version everywhere: the package, its metadata and the citation
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert project["version"] == citation["version"] == lindae.__version__


LINEAR_RECORD = {
    "model": "AE",
    "dataset": "mnist",
    "noise": 0.0,
    "decay": 0.0,
    "lr": 0.01,
    "epochs": 5000,
    "seed": 321,
    "device": "cpu",
    "dtype": "float32",
    "wall_seconds": 12.5,
    "algorithm": "eigenbasis",
    "init_u0": 1e-6,
}


def test_training_run_states_what_the_run_was_trained_with():
    run = provenance.training_run(LINEAR_RECORD, "linear", "results/linear/mnist_AE.npz")
    assert run == {
        key: LINEAR_RECORD[key]
        for key in (*provenance.RUN_FIELDS["linear"], "algorithm", "wall_seconds")
    }
    assert list(run)[-1] == "wall_seconds"
    relu = {
        **{k: v for k, v in LINEAR_RECORD.items() if k not in ("noise", "decay", "algorithm")},
        "noise_std": 0.0,
        "weight_decay": 0.0,
        "activation": "relu",
    }
    assert provenance.training_run(relu, "nonlinear", "x.npz")["activation"] == "relu"
    # how X was built, where the record states it (records before the option do not)
    centred = {**LINEAR_RECORD, "preprocessing": "center"}
    assert provenance.training_run(centred, "linear", "x.npz")["preprocessing"] == "center"


def test_a_record_that_does_not_state_its_settings_is_refused():
    """Finding 11: provenance.json said "seed": null and "wall_seconds": null for every linear
    run; a record without them now fails, naming the file and how to rebuild it."""
    old = {k: v for k, v in LINEAR_RECORD.items() if k not in ("seed", "wall_seconds")}
    with pytest.raises(IntermediateFileError) as caught:
        provenance.training_run(old, "linear", "results/linear/mnist_AE.npz", "train_linear")
    message = str(caught.value)
    assert message.startswith("results/linear/mnist_AE.npz: cannot use this training record")
    assert "does not state seed, wall_seconds" in message
    assert message.endswith("--forcerun train_linear")
    with pytest.raises(IntermediateFileError, match="does not state seed"):
        provenance.training_run({**LINEAR_RECORD, "seed": None}, "linear", "x.npz")
