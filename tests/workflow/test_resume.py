"""Resumable training in the workflow: a training job stopped by SIGTERM or kill -9 goes on
from its last checkpoint when the same command runs again, and ends with the same record, bit
for bit, as a run never stopped; a checkpoint of other settings is ignored, and says so.

Real ``snakemake`` subprocesses on a tiny synthetic MNIST-shaped dataset (the helpers of
``tests/conftest.py``); the job runs many tiny epochs with a checkpoint every tenth of them,
and each stop waits for a checkpoint file first, so the interruption is deterministic.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import (
    epochs_lasting,
    snakemake,
    snakemake_command,
    synthetic_dataset,
    write_yaml,
)

from lindae import io

SAMPLES = 200
TARGET = "results/linear/mnist_DAE.npz"
CHECKPOINT = "results/checkpoints/train_linear/mnist_DAE.pt"
LOG = "results/logs/train_linear/mnist_DAE.log"
COMPARED = ("steps", "singular_values", "projections", "loss")
POLL, PATIENCE = 0.02, 120.0
TRAINING_SECONDS = 2.5  # the job to interrupt lasts about this long here


def _override(root: Path, epochs: int) -> dict:
    return {
        "data_root": str(root),
        "device": "cpu",
        "datasets": {"mnist": {"import_npz": "{data_root}/mnist.npz", "subset": SAMPLES}},
        "linear": {
            "hidden": {"mnist": 8, "cifar10": 8},
            "lr": {"mnist": 0.002, "cifar10": 0.0004},
            "epochs": epochs,
            "record_every": 1000,
            "init": "decoupled",
            "sampled_noise": {"subset": SAMPLES, "epochs": 1000, "batch_size": 50},
        },
        "fig5": {"modes": [1, 2]},
        "checkpoint": {"every_epochs": epochs // 10, "every_minutes": 0},
    }


def _run(
    workdir: Path,
    *args: str,
    configs: tuple[Path, ...] = (),
    cores: int = 1,
    estimate: bool = False,
) -> subprocess.CompletedProcess:
    return snakemake(
        workdir,
        "--cores",
        str(cores),
        *args,
        configs=(workdir / "small.yaml", *configs),
        estimate=estimate,
    )


def _start(workdir: Path) -> subprocess.Popen:
    """snakemake building TARGET, in its own process group (a terminal's foreground job)."""
    log = open(workdir / "snakemake.out", "w")  # noqa: SIM115 (closed with the process)
    command = snakemake_command(workdir, "--cores", "1", TARGET, configs=(workdir / "small.yaml",))
    return subprocess.Popen(
        command,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for(condition, what: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"snakemake ended (rc {process.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(POLL)


def _saved_epoch(workdir: Path) -> int:
    return torch.load(workdir / CHECKPOINT, weights_only=True)["epoch"]


def _log(workdir: Path) -> str:
    log = workdir / LOG
    return log.read_text() if log.is_file() else ""


def _arrays(workdir: Path) -> dict[str, np.ndarray]:
    record = io.load_record(workdir / TARGET)
    return {key: record[key] for key in COMPARED}


def _copy(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("locks", "lindae-owners"))
    return destination


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A workdir with the data imported and the spectrum computed (copied per run)."""
    root = tmp_path_factory.mktemp("resume")
    np.savez(root / "mnist.npz", **synthetic_dataset("mnist", SAMPLES, seed=5))
    write_yaml(root / "small.yaml", _override(root, epochs_lasting(TRAINING_SECONDS)))
    _run(root, "results/spectra/mnist.npz")
    return root


@pytest.mark.workflow
@pytest.mark.faults
def test_sigterm_then_kill_9_then_rerun_resumes_to_the_same_record(prepared, tmp_path):
    # the uninterrupted reference, with checkpoints switched off
    reference_dir = _copy(prepared, tmp_path / "reference")
    off = write_yaml(tmp_path / "off.yaml", {"checkpoint": {"every_epochs": 0, "every_minutes": 0}})
    _run(reference_dir, TARGET, configs=(off,))
    reference = _arrays(reference_dir)
    assert not (reference_dir / CHECKPOINT).exists()

    workdir = _copy(prepared, tmp_path / "run")
    checkpoint = workdir / CHECKPOINT
    # 1. SIGTERM to the main job (a scheduler's cancel) once a checkpoint exists
    process = _start(workdir)
    _wait_for(checkpoint.is_file, "the first checkpoint", process)
    os.kill(process.pid, signal.SIGTERM)
    assert process.wait(timeout=PATIENCE) == 128 + signal.SIGTERM
    assert not (workdir / TARGET).exists(), "training finished before the stop"
    first = _saved_epoch(workdir)

    # 2. the same command resumes; kill -9 it (a lost node) once it has saved again
    process = _start(workdir)
    _wait_for(lambda: "resuming from checkpoint" in _log(workdir), "the resume", process)
    _wait_for(lambda: _saved_epoch(workdir) > first, "a later checkpoint", process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (workdir / TARGET).exists(), "training finished before the kill"
    log = (workdir / LOG).read_text()
    epochs = yaml_epochs(workdir)
    assert f"resuming from checkpoint {CHECKPOINT} at epoch {first} of {epochs}" in log
    second = _saved_epoch(workdir)

    # a changed setting (a shorter run, for speed) makes the checkpoint useless: ignored, and why
    changed_dir = _copy(workdir, tmp_path / "changed")
    shorter = write_yaml(tmp_path / "epochs.yaml", {"linear": {"epochs": 1000}})
    _run(changed_dir, TARGET, configs=(shorter,))
    log = (changed_dir / LOG).read_text()
    assert f"checkpoint {CHECKPOINT} ignored: it was written for other settings" in log, log
    assert "resuming from checkpoint" not in log
    assert io.load_record(changed_dir / TARGET)["metadata"]["resumed_from_epoch"] == 0

    # 3. a plain rerun (no --unlock, no clean-up; two cores where the reference had one: the
    # record must not depend on it) goes on from the last checkpoint, to the reference's
    # record; the run-time estimate printed first counts only the epochs left
    spectrum = workdir / "results" / "spectra" / "mnist.npz"
    earlier = spectrum.stat().st_mtime_ns
    result = _run(workdir, TARGET, cores=2, estimate=True)
    resuming = f"1 job can resume from a checkpoint (train_linear mnist_DAE at epoch {second})"
    assert resuming in result.stderr, result.stderr
    assert "removed the Snakemake locks left by a killed run" in result.stderr
    assert spectrum.stat().st_mtime_ns == earlier  # earlier results kept, not recomputed
    log = (workdir / LOG).read_text()
    assert f"resuming from checkpoint {CHECKPOINT} at epoch {second} of {epochs}" in log, log
    assert f"train_linear mnist DAE: epoch {epochs}/{epochs} (100 %)" in result.stderr
    resumed = _arrays(workdir)
    for key, array in reference.items():
        assert resumed[key].dtype == array.dtype and np.array_equal(resumed[key], array), key
    assert io.load_record(workdir / TARGET)["metadata"]["resumed_from_epoch"] == second
    assert not checkpoint.exists()  # removed once the record was written
    assert not list((workdir / "results").rglob(".*.tmp*"))


def yaml_epochs(workdir: Path) -> int:
    text = (workdir / "small.yaml").read_text()
    return int(re.search(r"^  epochs: (\d+)$", text, flags=re.M)[1])
