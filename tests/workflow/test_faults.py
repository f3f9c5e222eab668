"""Faults and bad input: each case ends in a clear error or a clean recovery.

The catalogue and the test(s) that cover each case (docs/troubleshooting.md lists the
messages users see):

1. truncated file from a mirror: ``unit/test_download_faults.py::test_truncated_file_from_a_mirror``
2. wrong md5: ``unit/test_data.py::test_corrupted_file_fails_naming_file_and_mirror``,
   ``unit/test_download_faults.py::test_wrong_md5_in_the_config``
3. every mirror unreachable: ``unit/test_data.py::test_every_mirror_unreachable_lists_them_and_the_
   offline_options``, ``unit/test_download_faults.py::test_unreachable_http_mirror``
4. bad import ``.npz``: ``unit/test_data.py::test_import_rejects_bad_arrays``,
   ``unit/test_data.py::test_import_of_a_file_that_is_not_npz``
5. read-only data location: ``unit/test_data.py::test_import_from_a_read_only_location``,
   ``unit/test_download_faults.py::test_read_only_file_mirror``
6. config errors: ``unit/test_config.py`` (every key type) and
   ``unit/test_config_catalogue.py``
7. divergent training: ``unit/test_training_linear.py::test_divergent_run_names_epoch_and_
   bound``, ``unit/test_training_nonlinear.py::test_divergence_and_bad_activation``,
   ``unit/test_training_driver.py::test_non_finite_loss_stops_with_the_message``,
   ``test_workflow_divergence_leaves_no_result``
8. ``device: cuda`` without a GPU: ``unit/test_training_driver.py::test_cuda_request_without_
   gpu_fails_before_compute``, ``test_workflow_cuda_without_gpu_fails_before_training``
9. SIGKILL mid-training: ``workflow/test_resume.py::test_sigterm_then_kill_9_then_rerun_
   resumes_to_the_same_record`` (the plain rerun clears the killed run's locks, keeps the
   finished results and resumes to the reference's record), plus the stale-lock unit tests in
   ``unit/test_locks.py``
10. SIGINT: ``test_sigint_stops_cleanly_then_rerun``; SIGTERM to the main job alone (issue
    13, finding 10): ``test_sigterm_stops_as_cleanly_as_sigint``
11. two invocations at once: ``test_concurrent_invocation_is_refused_by_the_lock``
12. disk full / unwritable results: ``unit/test_io.py``
13. determinism: ``unit/test_training_linear.py::test_training_is_deterministic_on_cpu``,
    ``unit/test_training_nonlinear.py::test_identical_seeds_give_bitwise_identical_cpu_
    results``,
    ``unit/test_threads.py``; in the workflow the reference runs use ``--cores 1``, the rerun
    after SIGKILL (test_resume.py) ``--cores 2`` and the SIGINT rerun ``--cores 1`` again: each
    is compared bitwise with its reference (cases 9, 10)

The workflow cases drive real ``snakemake`` subprocesses on a tiny synthetic MNIST-shaped
dataset imported from a ``.npz``; they are marked ``faults`` (and ``workflow``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    epochs_lasting,
    snakemake,
    snakemake_command,
    synthetic_dataset,
    write_yaml,
)

from lindae import io

# ------------------------------------------------------------- the workflow (cases 7-11, 13)

SAMPLES = 200
TARGETS = ("results/linear/mnist_DAE.npz", "results/linear/mnist_DAE-sampled.npz")
COMPARED = ("steps", "singular_values", "projections", "loss")
POLL, PATIENCE = 0.1, 180.0
TRAINING_SECONDS = 3.0  # the DAE job to interrupt lasts about this long on this machine


def _write_dataset(root: Path) -> None:
    np.savez(root / "mnist.npz", **synthetic_dataset("mnist", SAMPLES, seed=5))


def _override(root: Path, epochs: int) -> dict:
    return {
        "data_root": str(root),
        "device": "cpu",
        "datasets": {"mnist": {"import_npz": "{data_root}/mnist.npz", "subset": SAMPLES}},
        "linear": {
            "hidden": {"mnist": 8, "cifar10": 8},
            "lr": {"mnist": 0.002, "cifar10": 0.0004},
            "epochs": epochs,
            "record_every": 300,  # at most the sampled-noise epochs
            "init": "decoupled",
            "sampled_noise": {"subset": SAMPLES, "epochs": 300, "batch_size": 50},
        },
        "fig5": {"modes": [1, 2]},
    }


def _run(
    workdir: Path, *args: str, check: bool = True, env=None, configs: tuple[Path, ...] = ()
) -> subprocess.CompletedProcess:
    """The shared runner (conftest), with the small settings of this module."""
    small = (workdir / "small.yaml", *configs)
    return snakemake(workdir, *args, configs=small, check=check, env=env)


def _start(workdir: Path, *args: str) -> subprocess.Popen:
    """snakemake in its own process group (like a terminal's foreground job)."""
    log = open(workdir / "snakemake.out", "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        snakemake_command(workdir, *args, configs=(workdir / "small.yaml",)),
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # A shell without job control starts background commands with SIGINT ignored, and
        # children inherit that: give snakemake the terminal's default, whoever runs the test.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for(condition, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"snakemake ended (rc {process.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(POLL)


def _training_started(workdir: Path) -> bool:
    log = workdir / "results" / "logs" / "train_linear" / "mnist_DAE.log"
    return log.is_file() and "train_linear mnist DAE: epoch 1/" in log.read_text()


def _arrays(workdir: Path, targets: tuple[str, ...] = TARGETS) -> dict[str, np.ndarray]:
    found = {}
    for target in targets:
        record = io.load_record(workdir / target)
        for key in COMPARED:
            found[f"{target}:{key}"] = record[key]
    with np.load(workdir / "results" / "spectra" / "mnist.npz") as spectrum:
        found.update({f"spectrum:{key}": spectrum[key] for key in spectrum.files})
    return found


def _subset(arrays: dict[str, np.ndarray], target: str) -> dict[str, np.ndarray]:
    return {key: value for key, value in arrays.items() if not key.startswith("results/")} | {
        key: value for key, value in arrays.items() if key.startswith(target + ":")
    }


def _assert_bitwise_equal(first: dict, second: dict) -> None:
    assert first.keys() == second.keys()
    for key in first:
        assert first[key].dtype == second[key].dtype, key
        assert first[key].tobytes() == second[key].tobytes(), f"{key} differs"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A workdir with the data imported and the spectrum computed (copied per test)."""
    root = tmp_path_factory.mktemp("faults")
    _write_dataset(root)
    write_yaml(root / "small.yaml", _override(root, epochs_lasting(TRAINING_SECONDS)))
    _run(root, "--cores", "2", "results/spectra/mnist.npz")
    return root


def _copy(prepared: Path, tmp_path: Path) -> Path:
    """The prepared workdir: same config (data still read from the prepared folder) and
    modification times kept, so nothing upstream of training reruns."""
    workdir = tmp_path / "run"
    shutil.copytree(prepared, workdir, ignore=shutil.ignore_patterns("locks", "lindae-owners"))
    return workdir


@pytest.fixture(scope="module")
def reference(prepared, tmp_path_factory):
    """The uninterrupted run, one core: the arrays every other run must reproduce bitwise."""
    workdir = _copy(prepared, tmp_path_factory.mktemp("reference"))
    _run(workdir, "--cores", "1", *TARGETS)
    return _arrays(workdir)


@pytest.mark.workflow
@pytest.mark.faults
def test_sigint_stops_cleanly_then_rerun(prepared, reference, tmp_path):
    workdir = _copy(prepared, tmp_path)
    process = _start(workdir, "--cores", "1", TARGETS[0])
    _wait_for(lambda: _training_started(workdir), "the DAE training to start", process)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in a terminal: the whole foreground group
    assert process.wait(timeout=PATIENCE) != 0
    output = (workdir / "snakemake.out").read_text()
    assert "Terminating processes on user request" in output, output
    assert not (workdir / TARGETS[0]).exists()  # no corrupted or partial output
    assert not list((workdir / "results").rglob(".*.tmp*"))
    assert not (workdir / ".snakemake" / "locks").exists()  # a clean stop unlocks
    _run(workdir, "--cores", "1", TARGETS[0])  # also case 13: a second run, same arrays
    _assert_bitwise_equal(_subset(reference, TARGETS[0]), _arrays(workdir, TARGETS[:1]))


@pytest.mark.workflow
@pytest.mark.faults
def test_sigterm_stops_as_cleanly_as_sigint(prepared, reference, tmp_path):
    """``kill <pid>`` of the main job (a session's end, a scheduler's stop): the running job is
    interrupted at once (not waited for), its output removed, the lock released, and the run
    ends with one line that says so and status 128 + 15."""
    workdir = _copy(prepared, tmp_path)
    process = _start(workdir, "--cores", "1", TARGETS[0])
    _wait_for(lambda: _training_started(workdir), "the DAE training to start", process)
    os.kill(process.pid, signal.SIGTERM)  # the main process only, not its jobs
    assert process.wait(timeout=PATIENCE) == 128 + signal.SIGTERM
    output = (workdir / "snakemake.out").read_text()
    assert "lindae: SIGTERM received: stopping like Ctrl-C; the running jobs are " in output
    assert "lindae: stopped by SIGTERM: the running jobs were interrupted, their " in output
    assert "did not complete successfully" not in output, output
    assert "Traceback" not in output, output
    log = (workdir / "results" / "logs" / "train_linear" / "mnist_DAE.log").read_text()
    assert "job stopped by SIGINT; no result was written" in log  # interrupted, not finished
    assert not (workdir / TARGETS[0]).exists()  # no corrupted or partial output
    assert not list((workdir / "results").rglob(".*.tmp*"))
    assert not (workdir / ".snakemake" / "locks").exists()  # a clean stop unlocks
    _run(workdir, "--cores", "1", TARGETS[0])  # the same command continues the run
    _assert_bitwise_equal(_subset(reference, TARGETS[0]), _arrays(workdir, TARGETS[:1]))


@pytest.mark.workflow
@pytest.mark.faults
def test_concurrent_invocation_is_refused_by_the_lock(prepared, reference, tmp_path):
    workdir = _copy(prepared, tmp_path)
    first = _start(workdir, "--cores", "1", TARGETS[0])
    _wait_for(lambda: _training_started(workdir), "the DAE training to start", first)
    # hold the first run mid-training (however fast this machine is) while the second starts
    os.killpg(first.pid, signal.SIGSTOP)
    try:
        assert not (workdir / TARGETS[0]).exists(), "training finished before the pause"
        # a different target whose job graph shares the running job's output
        second = _run(
            workdir, "--cores", "1", "results/linear/mnist_AE.npz", TARGETS[0], check=False
        )
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    assert first.wait(timeout=PATIENCE) == 0, (workdir / "snakemake.out").read_text()
    assert second.returncode != 0
    output = second.stdout + second.stderr
    assert "Error: Directory cannot be locked. Please make sure that no other Snakemake" in output
    assert "removed the Snakemake locks" not in output  # a live run's lock is never removed
    assert not (workdir / "results" / "linear" / "mnist_AE.npz").exists()
    _assert_bitwise_equal(_subset(reference, TARGETS[0]), _arrays(workdir, TARGETS[:1]))


@pytest.mark.workflow
@pytest.mark.faults
def test_workflow_divergence_leaves_no_result(prepared, tmp_path):
    workdir = _copy(prepared, tmp_path)
    too_fast = write_yaml(tmp_path / "lr.yaml", {"linear": {"lr": {"mnist": 0.05}}})
    result = _run(workdir, "--cores", "1", TARGETS[0], check=False, configs=(too_fast,))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "training diverged: non-finite weights or loss detected at epoch " in output, output
    assert "full-batch GD is stable only for lr < 1/lambda_bar_1 = " in output
    assert not (workdir / TARGETS[0]).exists()
    assert (workdir / "results" / "spectra" / "mnist.npz").exists()  # earlier results kept


@pytest.mark.workflow
@pytest.mark.faults
def test_workflow_cuda_without_gpu_fails_before_training(prepared, tmp_path):
    workdir = _copy(prepared, tmp_path)
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")  # no GPU, even on a GPU machine
    cuda = write_yaml(tmp_path / "cuda.yaml", {"device": "cuda"})
    result = _run(workdir, "--cores", "1", TARGETS[0], check=False, env=env, configs=(cuda,))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "device: cuda was requested but no CUDA GPU is visible to PyTorch" in output, output
    assert "valid: device: auto|cpu|cuda" in output
    log = (workdir / "results" / "logs" / "train_linear" / "mnist_DAE.log").read_text()
    assert "mnist DAE: epoch " not in log  # stopped before any training step
    assert not (workdir / TARGETS[0]).exists()
