"""The run-time cost model (lindae.workflow.cost) and the stage table of bench/stage_times.py."""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

from lindae.workflow.cost import (
    STAGES,
    SUGGEST_QUICK_SECONDS,
    chain_priority,
    checkpoint_epoch,
    estimate_jobs,
    estimate_lines,
    job_work,
    stage_of,
    stage_totals,
    training_epochs,
    uses_torch,
    wall_seconds,
)
from lindae.workflow.provenance import benchmark_times
from lindae.workflow.rates import Rates

# Round numbers, so the compute parts are easy to see; no fixed start-up of torch.
RATES = Rates(
    gemm=1e11, double=5e10, normals=1e8, latency=0.0, library="torch", threads=2, torch_import=0.0
)


def _compute(rule, wildcards, config):
    """Seconds beyond the fixed start-up."""
    work = job_work(rule, wildcards, config)
    return work.seconds(RATES) - work.fixed


def _scaled(config, path, factor):
    changed = copy.deepcopy(config)
    *parents, key = path
    node = changed
    for parent in parents:
        node = node[parent]
    node[key] = node[key] * factor
    return changed


@pytest.mark.parametrize(
    ("rule", "wildcards", "path", "power"),
    [
        ("train_linear", {"dataset": "mnist"}, ("linear", "epochs"), 1),
        ("train_linear", {"dataset": "cifar10"}, ("linear", "hidden", "cifar10"), 2),
        ("train_sampled_noise", {"dataset": "mnist"}, ("linear", "sampled_noise", "epochs"), 1),
        ("train_sampled_noise", {"dataset": "mnist"}, ("linear", "sampled_noise", "subset"), 1),
        ("train_nonlinear", {"dataset": "mnist", "model": "AE"}, ("nonlinear", "epochs"), 1),
        ("train_nonlinear", {"dataset": "mnist", "model": "DAE"}, ("nonlinear", "epochs"), 1),
        (
            "train_nonlinear",
            {"dataset": "cifar10", "model": "AE"},
            ("datasets", "cifar10", "subset"),
            1,
        ),
        (
            "train_nonlinear",
            {"dataset": "cifar10", "model": "AE"},
            ("nonlinear", "hidden", "cifar10"),
            1,
        ),
    ],
)
def test_training_cost_scales_with_its_settings(config, rule, wildcards, path, power):
    """Compute time grows like the FLOPs: linear in epochs and N, D H^2 in the eigenbasis,
    N D H in data space and for the ReLU models (recording adds a little, hence approx)."""
    base = _compute(rule, wildcards, config)
    doubled = _compute(rule, wildcards, _scaled(config, path, 2))
    assert doubled / base == pytest.approx(2**power, rel=0.05)


def test_cost_scales_with_the_dimension(config):
    """Same settings, CIFAR-10 (D = 3072) against MNIST (D = 784): 3072/784 more FLOPs."""
    config["linear"]["hidden"] = {"mnist": 256, "cifar10": 256}
    ratio = 3072 / 784
    for rule, extra in (("train_linear", {}), ("train_nonlinear", {"model": "AE"})):
        if rule == "train_nonlinear":
            config["datasets"]["cifar10"]["subset"] = config["datasets"]["mnist"]["subset"]
            config["nonlinear"]["hidden"] = {"mnist": 256, "cifar10": 256}
        mnist = _compute(rule, {"dataset": "mnist", **extra}, config)
        cifar = _compute(rule, {"dataset": "cifar10", **extra}, config)
        assert cifar / mnist == pytest.approx(ratio, rel=0.05)
    # the spectrum: N D^2 + O(D^3)
    small, large = (_compute("spectrum", {"dataset": d}, config) for d in ("mnist", "cifar10"))
    assert large > small * ratio**2 * 0.5


def test_noise_draws_cost_the_dae_more(config):
    ae = _compute("train_nonlinear", {"dataset": "mnist", "model": "AE"}, config)
    dae = _compute("train_nonlinear", {"dataset": "mnist", "model": "DAE"}, config)
    draws = 50_000 * 784 * 2000 / RATES.normals
    assert dae - ae == pytest.approx(draws)


def test_every_rule_has_a_stage_and_fixed_cost(config):
    jobs = [
        ("download_mnist", {}, 1),
        ("spectrum", {"dataset": "mnist"}, 2),
        ("train_linear", {"dataset": "mnist", "model": "AE"}, 2),
        ("train_sampled_noise", {"dataset": "mnist"}, 2),
        ("train_nonlinear", {"dataset": "mnist", "model": "AE"}, 2),
        ("fig2_data", {"suffix": ""}, 1),
        ("fig5_agreement", {}, 1),
        ("figure_plot", {"stem": "fig1", "suffix": "_corrected"}, 1),
        ("claims", {}, 1),
        ("provenance", {}, 1),
    ]
    estimates = estimate_jobs(jobs, config, RATES)
    assert [e.stage for e in estimates] == [
        "data",
        "spectra",
        "linear training",
        "sampled-noise training",
        "nonlinear training",
        *["figures/tables"] * 3,
        "report",
        "report",
    ]
    assert all(e.seconds > 0 for e in estimates)
    # the paper's Fig. 2 tables (1.2 M rows) take longer than Fig. 1's
    fig2, fig1 = job_work("fig2_data", {}, config), job_work("fig1_data", {}, config)
    assert fig2.fixed > fig1.fixed


def _trainings_of(dataset, config):
    """Each training job's priority on ``dataset`` (rule, model): its own estimate."""
    jobs = [("train_linear", "AE"), ("train_sampled_noise", "DAE")]
    jobs += [("train_nonlinear", model) for model in ("AE", "WDAE", "DAE")]
    return {
        (rule, model): chain_priority(rule, {"dataset": dataset, "model": model}, config)
        for rule, model in jobs
    }


def test_the_longest_chains_get_the_highest_priority(config):
    for dataset in ("mnist", "cifar10"):
        trainings = _trainings_of(dataset, config)
        assert all(value > 0 for value in trainings.values())
        spectrum = chain_priority("spectrum", {"dataset": dataset}, config)
        download = chain_priority(f"download_{dataset}", {}, config)
        sampled = config["linear"]["sampled_noise"]["datasets"]  # [mnist] by default
        waiting = [
            value
            for (rule, _), value in trainings.items()
            if rule != "train_sampled_noise" or dataset in sampled
        ]
        assert download > spectrum > max(waiting)
    # CIFAR-10's ReLU models are the longest chain of the paper's run: its data go first
    assert chain_priority("download_cifar10", {}, config) > chain_priority(
        "download_mnist", {}, config
    )
    for rule, wildcards in [
        ("fig2_data", {"suffix": ""}),
        ("figure_plot", {"stem": "fig6", "suffix": ""}),
        ("claims", {}),
        ("provenance", {}),
    ]:
        assert chain_priority(rule, wildcards, config) == 0


def test_a_spectrum_waits_only_on_trainings_the_config_has(config):
    nonlinear_mnist = max(
        value
        for (rule, _), value in _trainings_of("mnist", config).items()
        if rule == "train_nonlinear"
    )
    with_relu = chain_priority("spectrum", {"dataset": "mnist"}, config)
    del config["nonlinear"]["hidden"]["mnist"]
    config["linear"]["sampled_noise"]["enabled"] = False
    without = chain_priority("spectrum", {"dataset": "mnist"}, config)
    linear = chain_priority("train_linear", {"dataset": "mnist", "model": "AE"}, config)
    own = with_relu - nonlinear_mnist
    assert without == own + linear < with_relu


def test_stage_sums_and_wall_time(config):
    jobs = [
        ("train_nonlinear", {"dataset": "mnist", "model": model}, 2) for model in ("AE", "DAE")
    ] + [("figure_plot", {"stem": "fig1", "suffix": s}, 1) for s in ("", "_corrected")]
    estimates = estimate_jobs(jobs, config, RATES)
    totals = stage_totals(estimates, cores=2)
    assert list(totals) == ["nonlinear training", "figures/tables"]
    count, serial, wall = totals["nonlinear training"]
    assert count == 2 and serial == pytest.approx(estimates[0].seconds + estimates[1].seconds)
    assert wall == pytest.approx(serial)  # two 2-thread jobs on 2 cores: one after the other
    _, plots, plots_wall = totals["figures/tables"]
    assert plots_wall == pytest.approx(plots / 2)  # two 1-thread jobs side by side
    total = wall_seconds(estimates, cores=2)
    assert total == pytest.approx(serial + plots / 2)  # core-seconds over the cores
    assert wall_seconds(estimates, cores=64) < total  # more cores: the longest chain


def test_lines_name_every_stage_and_suggest_the_quick_preset(config):
    jobs = [("train_nonlinear", {"dataset": d, "model": "DAE"}, 2) for d in ("mnist", "cifar10")]
    lines = estimate_lines(jobs, config, 2, RATES)
    assert lines[0].startswith("lindae: expected run time on this machine (2 jobs, 2 cores")
    assert any(line.startswith("  nonlinear training") for line in lines)
    assert lines[-2].startswith("  total")
    assert wall_seconds(estimate_jobs(jobs, config, RATES), 2) > SUGGEST_QUICK_SECONDS
    assert "PRESET=quick" in lines[-1]
    short = estimate_lines([("claims", {}, 1)], config, 2, RATES)
    assert not any("PRESET=quick" in line for line in short)
    assert estimate_lines(jobs, config, 2, None) == [
        "lindae: run time not estimated: neither torch nor numpy can be imported by "
        "Snakemake here (its own environment)"
    ]


def test_a_resumed_job_is_priced_for_its_epochs_left(config):
    """A training job that finds a checkpoint at 3/4 of its epochs costs its start-up and a
    quarter of its compute; the lines say which jobs resume, and from which epoch."""
    jobs = [
        ("train_nonlinear", {"dataset": "mnist", "model": "DAE"}, 2),
        ("train_linear", {"dataset": "cifar10", "model": "AE"}, 2),
    ]
    rates = dataclasses.replace(RATES, torch_import=1.5)
    fresh = estimate_jobs(jobs, config, rates)
    done = 3 * training_epochs("train_nonlinear", config) // 4
    resumed = estimate_jobs(jobs, config, rates, {0: done})
    work = job_work(*jobs[0][:2], config)
    start = work.fixed + rates.torch_import
    assert resumed[0].seconds - start == pytest.approx((fresh[0].seconds - start) / 4)
    assert resumed[1].seconds == fresh[1].seconds  # no checkpoint: all of it
    lines = estimate_lines(jobs, config, 2, rates, {0: done})
    assert f"  1 job can resume from a checkpoint (train_nonlinear mnist_DAE at epoch {done})" in (
        "\n".join(lines)
    )
    assert not any("resume" in line for line in estimate_lines(jobs, config, 2, rates))
    assert training_epochs("claims", config) is None


def test_checkpoint_epoch_reads_the_training_checkpoints_file(tmp_path):
    """The epoch of a file written by the trainers' Checkpoint; None without a readable one."""
    from lindae.training.checkpoint import Checkpoint

    path = tmp_path / "job.pt"
    assert checkpoint_epoch(path) is None
    Checkpoint(path, "digest", every_epochs=10).save(1234, {"weights": [1.0, 2.0]})
    assert checkpoint_epoch(path) == 1234
    path.write_bytes(b"not a checkpoint")
    assert checkpoint_epoch(path) is None


def test_only_a_run_that_trains_measures_with_torch(config):
    """Tables and plots are priced with numpy's rates, and torch (seconds to import) is not
    imported for them; a training job brings torch and its import time in."""
    tables = [("fig1_data", {"stem": "fig1"}, 1), ("figure_plot", {"stem": "fig1"}, 1)]
    training = [*tables, ("train_linear", {"dataset": "mnist", "model": "AE"}, 2)]
    assert not uses_torch(tables, config)
    assert uses_torch(training, config)
    measure = (
        "import json, sys; from lindae.workflow.rates import measure_rates; "
        "rates = measure_rates(1, budget=0.02, torch=sys.argv[1] == 'torch'); "
        "print(json.dumps([rates.library, rates.torch_import, 'torch' in sys.modules]))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    found = {}
    for kind in ("numpy", "torch"):
        command = [sys.executable, "-c", measure, kind]
        output = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
        found[kind] = json.loads(output.stdout)
    assert found["numpy"] == ["numpy", None, False]
    library, seconds, imported = found["torch"]
    assert library == "torch" and seconds > 0 and imported


def _stage_times():
    spec = importlib.util.spec_from_file_location("stage_times", ROOT / "bench" / "stage_times.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stage_table_of_a_benchmarks_folder(tmp_path):
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    seconds = {
        "train_linear/mnist_AE.tsv": 20.0,
        "train_linear/mnist_DAE.tsv": 30.0,
        "spectrum/mnist.tsv": 2.0,
        "figure_plot/fig1.tsv": 4.0,
        "fig5_agreement.tsv": 1.5,
        "claims/claims.tsv": 3.0,
    }
    for name, value in seconds.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + f"{value}\t0:00:{value:02.0f}\t1\t1\t1\t1\t0\t0\t50\t{value}\n")
    table = _stage_times().stage_table(benchmark_times(tmp_path), wall=61.0)
    rows = [line for line in table.splitlines() if line.startswith("| ")][2:]
    assert rows[0] == "| spectra | spectrum | 1 | 2.0 | 2.0 |"
    assert "| linear training | train_linear | 2 | 50.0 | 30.0 |" in rows
    assert "| **linear training** | all | 2 | 50.0 | 30.0 |" in rows
    assert "| **figures/tables** | all | 2 | 5.5 | 4.0 |" in rows
    assert "| **report** | all | 1 | 3.0 | 3.0 |" in rows
    assert rows[-1] == "| **all stages** | | 6 | 60.5 | |"
    assert table.rstrip().endswith("Total wall time: 61 s (1 min 01 s).")
    assert {stage_of(rule) for rule in benchmark_times(tmp_path)} <= set(STAGES)
