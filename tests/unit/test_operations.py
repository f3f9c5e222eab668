"""Operations plumbing (issue 13): how a profile's settings and the command line's combine
(lindae.workflow.profiles) and which device a training job uses (lindae.workflow.device).
The workflow side is in workflow/test_slurm.py (dry runs through the SLURM profiles)."""

from __future__ import annotations

import pytest

from lindae.errors import is_user_error
from lindae.workflow.device import (
    DeviceError,
    gpus_given,
    require_visible_gpu,
    training_device,
)
from lindae.workflow.profiles import dropped_entries, profile_arguments

OLD_GPU_PROFILE = {"config": ["device=cuda"], "set-resources": {"train_linear": {"gpu": 1}}}


def test_profile_arguments_are_read_from_snakemake_command_lines_only():
    argv = ["/x/.venv/bin/snakemake", "--profile", "a", "-n", "--profile=b", "--profile"]
    assert profile_arguments(argv, {}) == ["a", "b"]
    assert profile_arguments(["/x/bin/snakemake", "-n"], {"SNAKEMAKE_PROFILE": "c"}) == ["c"]
    assert profile_arguments(["pytest", "--profile", "a"], {}) == []  # not Snakemake's
    assert profile_arguments(["snakemake", "--profile", "none"], {}) == []


def test_a_command_line_config_that_drops_a_profile_config_is_reported():
    """Finding 1: --config data_root=... replaced an older profile's device=cuda, silently."""
    lines = dropped_entries(OLD_GPU_PROFILE, {"data_root"}, {"train_linear": ["gpu"]}, [])
    assert lines == [
        "--config on the command line replaces the profile's config: entries, so device=cuda "
        "would be dropped; add them to the command line (--config device=cuda ...)"
    ]
    # overriding the same key on purpose, or no --config at all, drops nothing
    assert dropped_entries(OLD_GPU_PROFILE, {"device"}, {"train_linear": ["gpu"]}, []) == []
    both = dropped_entries(OLD_GPU_PROFILE, {"device"}, {"train_nonlinear": ["runtime"]}, [])
    assert both == [
        "--set-resources on the command line replaces the profile's set-resources:, so "
        "train_linear:gpu=1 would be dropped; add them to the command line (--set-resources "
        "train_linear:gpu=1 ...)"
    ]


def test_dropped_profile_configfiles_are_reported(tmp_path):
    (tmp_path / "site.yaml").write_text("{}")
    profile = {"configfile": "site.yaml"}
    assert dropped_entries(profile, [], {}, [tmp_path / "site.yaml"], tmp_path) == []
    (line,) = dropped_entries(profile, [], {}, ["config/config.yaml"], tmp_path)
    assert f"{tmp_path / 'site.yaml'} would be dropped" in line


@pytest.mark.parametrize(
    ("resources", "gpus"),
    [
        ({}, 0),
        ({"gpu": 1}, 1),
        ({"gpu": "2"}, 2),
        ({"gpu": 0, "gres": "gpu:a100:2"}, 2),
        ({"gres": "gpu"}, 1),
        ({"gres": "shard:1,gpu:3"}, 3),
        ({"gres": "shard:2"}, 0),
    ],
)
def test_gpus_given_by_resources(resources, gpus):
    assert gpus_given(resources) == gpus


def test_a_job_given_a_gpu_trains_on_cuda_even_under_auto():
    assert training_device("auto", 1, "set-resources train_linear") == "cuda"
    assert training_device("cuda", 1, "set-resources train_linear") == "cuda"
    assert training_device("auto", 0, "set-resources train_linear") == "auto"
    assert training_device("cpu", 0, "set-resources train_linear") == "cpu"
    with pytest.raises(DeviceError, match=r"^device: cpu, but set-resources train_linear give"):
        training_device("cpu", 1, "set-resources train_linear")
    with pytest.raises(DeviceError, match="not a whole number of GPUs"):
        gpus_given({"gpu": "one"})


def test_a_gpu_job_without_a_visible_gpu_stops_in_one_line(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    require_visible_gpu(0)  # a CPU job: nothing to check
    with pytest.raises(DeviceError) as caught:
        require_visible_gpu(1)
    assert is_user_error(caught.value)
    assert str(caught.value).startswith(
        "this job was given 1 GPU(s) (resource gpu/gres, e.g. from profiles/slurm-gpu) but no "
        "CUDA GPU is visible to PyTorch"
    )
