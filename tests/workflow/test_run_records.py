"""A degenerate dataset stops the run with one line (finding 2, the one-clear-line principle).

That every training record states what it was trained with, and that provenance.json reports
it for every run (finding 11), is checked on the quick preset's run
(tests/workflow/test_main_job_quick.py), which makes every record and provenance.json anyway.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import snakemake, write_yaml

pytestmark = pytest.mark.workflow

SAMPLES = 80


def test_a_degenerate_dataset_stops_with_one_line(tmp_path):
    """Finding 2 end to end: an all-zero CIFAR-10 of the right shape and dtype ran to exit 0."""
    zeros = {
        "train_images": np.zeros((SAMPLES, 32, 32, 3), np.uint8),
        "train_labels": np.zeros(SAMPLES, np.uint8),
        "test_images": np.zeros((2, 32, 32, 3), np.uint8),
        "test_labels": np.zeros(2, np.uint8),
    }
    np.savez(tmp_path / "zeros.npz", **zeros)
    overlay = {
        "datasets": {"cifar10": {"import_npz": str(tmp_path / "zeros.npz"), "subset": SAMPLES}}
    }
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
