"""Which device a training job uses, from the config's ``device`` and the job's GPU resources.

Two settings can ask for a GPU: the config (``device: cuda``) and the resources a profile or
the command line gives the training rules (``set-resources: train_linear: {gpu: 1}`` as in
``profiles/slurm-gpu``, or ``gres: gpu:1``). They combine like this, so that neither silently
drops the other (a command-line ``--config`` replaces a profile's whole ``config:``, but not its
``set-resources``):

================  =======================  ================================================
``device``        the rule is given GPUs    the job
================  =======================  ================================================
``auto``          no                       uses a GPU when one is visible, else the CPU
``auto``/``cuda`` yes                      trains on CUDA; stops before training if the
                                           node shows it no GPU (never falls back to the CPU)
``cuda``          no                       asks the scheduler for ``gpu=1`` and trains on CUDA
``cpu``           yes                      refused before any job: the two contradict
``cpu``           no                       trains on the CPU
================  =======================  ================================================

:func:`gpus_given` reads a rule's resources, :func:`training_device` decides while the workflow
is parsed, and :func:`require_visible_gpu` is the job's check. Never imports snakemake;
torch only inside :func:`require_visible_gpu`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import DeviceError

__all__ = ["DeviceError", "gpus_given", "training_device", "require_visible_gpu"]


def gpus_given(resources: Mapping[str, Any]) -> int:
    """How many GPUs the resource values of one rule ask for: ``gpu: N`` (an int or a numeric
    string), else the ``gpu`` part of ``gres`` (SLURM's ``gpu``, ``gpu:N``, ``gpu:<model>:N``).
    """
    gpu = resources.get("gpu")
    if gpu not in (None, ""):
        try:
            count = int(gpu)
        except (TypeError, ValueError):
            raise DeviceError(
                f"resource gpu={gpu!r} is not a whole number of GPUs (e.g. gpu=1)"
            ) from None
        if count > 0:
            return count
    for part in str(resources.get("gres") or "").split(","):
        name, *rest = part.strip().split(":")
        if name == "gpu":
            return int(rest[-1]) if rest and rest[-1].isdigit() else 1
    return 0


def training_device(device: str, gpus: int, where: str) -> str:
    """The ``device`` a training job of a rule given ``gpus`` GPUs passes to the trainer.

    ``where`` names the source of the GPU resource for the error message (e.g. the rule's
    ``set-resources``). Raises :class:`DeviceError` for ``device: cpu`` with GPUs given.
    """
    if not gpus:
        return device
    if device == "cpu":
        raise DeviceError(
            f"device: cpu, but {where} gives the training jobs {gpus} GPU(s) (e.g. "
            "--profile profiles/slurm-gpu): set device: auto or cuda to train on them, or "
            "drop the gpu resource (profiles/slurm trains on CPU nodes)"
        )
    return "cuda"


def require_visible_gpu(gpus: int) -> None:
    """In a training job given ``gpus`` GPUs: stop, before any compute, if PyTorch sees none.

    A scheduler that grants a GPU but does not expose it (no ``CUDA_VISIBLE_DEVICES``, a
    CPU-only PyTorch build) must not end in a silent CPU run on a GPU node.
    """
    if not gpus:
        return
    import torch

    if not torch.cuda.is_available():
        raise DeviceError(
            f"this job was given {gpus} GPU(s) (resource gpu/gres, e.g. from "
            "profiles/slurm-gpu) but no CUDA GPU is visible to PyTorch (torch "
            f"{torch.__version__}, CUDA build: {torch.version.cuda or 'none'}); nothing was "
            "trained. Check that the partition's nodes have GPUs and a CUDA build of PyTorch "
            "(docs/running.md), or train on CPU nodes with profiles/slurm"
        )
