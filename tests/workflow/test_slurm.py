"""The workflow on SLURM, without daemons: the profiles' dry-run listings and their refusals.

A real one-node cluster on localhost runs in test_slurm_cluster.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT, job_stats, slurm_environment, snakemake, write_yaml

pytestmark = pytest.mark.slurm

PROFILE = ROOT / "profiles" / "slurm"
SIZE = re.compile(r"\[threads=\d+, mem_mb=\d+, runtime=\d+ min(, gpu=\d+)?\]$")


# --- the profile, no daemons ----------------------------------------------------------------


def dry_run(tmp_path: Path, profile: Path = PROFILE, *args: str, fails: bool = False) -> str:
    """Dry run of the paper preset through a SLURM profile (plans only, touches no network);
    with ``fails``, it must stop before planning, with one line and no traceback."""
    result = snakemake(
        tmp_path, "--profile", str(profile), "-n", *args, check=False, env=slurm_environment()
    )
    output = result.stdout + result.stderr
    assert (result.returncode != 0) == fails, output
    if fails:
        assert "Traceback" not in output and "Job stats" not in output, output
    return output


def test_profile_dry_run_lists_every_job_with_its_resources(tmp_path):
    output = dry_run(tmp_path)
    stats = job_stats(output)
    jobs = re.findall(r"^\s*Job \d+: (.*)$", output, flags=re.M)
    # Every job but the `default` target prints its message, which ends with its size.
    assert len(jobs) == sum(stats.values()) - stats["default"] == 49, output
    unsized = [job for job in jobs if not SIZE.search(job)]
    assert not unsized, unsized
    training = [job for job in jobs if job.startswith("Training")]
    assert len(training) == 13, training
    assert all("gpu=" not in job for job in training), training  # CPU config: no GPU asked
    # The 31 small table and plot jobs go as four cluster jobs.
    for group in ("theory", "plots", "fig5", "fig6"):
        assert output.count(f"Group job {group} ") == 1, output


GPU_PROFILE = ROOT / "profiles" / "slurm-gpu"


@pytest.mark.parametrize(
    "overrides",
    [(), ("--config", "data_root=/data", "figures=[5,6]")],
    ids=["profile alone", "with --config"],
)
def test_gpu_profile_asks_for_a_gpu_only_for_training(tmp_path, overrides):
    """profiles/slurm-gpu gives the training rules a GPU: each training job asks for one,
    nothing else does, also with a --config on the command line (issue 13, finding 1: it
    used to replace the profile's device=cuda, and no job asked for a GPU)."""
    output = dry_run(tmp_path, GPU_PROFILE, *overrides)
    jobs = re.findall(r"^\s*Job \d+: (.*)$", output, flags=re.M)
    training = [job for job in jobs if job.startswith("Training")]
    assert len(training) == 13 and all(job.endswith(", gpu=1]") for job in training), training
    assert all("gpu=" not in job for job in jobs if not job.startswith("Training")), jobs


def test_gpu_profile_with_device_cpu_is_refused(tmp_path):
    """A GPU given and device: cpu contradict each other: neither silently wins."""
    output = dry_run(tmp_path, GPU_PROFILE, "--config", "device=cpu", fails=True)
    assert "lindae: error: device: cpu, but set-resources train_linear gives the training " in (
        output
    )


def test_profile_settings_dropped_by_the_command_line_are_refused(tmp_path):
    """A command-line option replaces a profile's entry as a whole: the workflow names every
    entry that would be lost instead of running without it."""
    old = tmp_path / "old-gpu"
    old.mkdir()
    write_yaml(old / "config.yaml", {"executor": "slurm", "jobs": 10, "config": ["device=cuda"]})
    output = dry_run(tmp_path, old, "--config", "data_root=/data", fails=True)
    assert "lindae: error: settings of a profile would be dropped:" in output, output
    assert "--config on the command line replaces the profile's config: entries, so " in output
    assert "device=cuda would be dropped" in output
    output = dry_run(
        tmp_path, GPU_PROFILE, "--set-resources", "train_nonlinear:runtime=480", fails=True
    )
    assert "train_linear:gpu=1" in output and "--set-resources on the command line" in output
