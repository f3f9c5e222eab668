"""lindae.workflow.threads: numerical jobs compute with a fixed thread count (case 13)."""

from __future__ import annotations

import os

from conftest import (
    ROOT,
)

from lindae.workflow.threads import pin_threads


def test_pin_threads(monkeypatch):
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(variable, "7")  # what Snakemake sets from the job's threads
    assert pin_threads({"compute_threads": 2}, job_threads=1) == 2
    assert os.environ["OPENBLAS_NUM_THREADS"] == os.environ["OMP_NUM_THREADS"] == "2"
    assert pin_threads({"compute_threads": 0}, job_threads=3) == 3
    assert os.environ["MKL_NUM_THREADS"] == "3"


def test_numerical_scripts_pin_their_threads_first():
    for name in ("spectrum", "train_linear", "train_sampled_noise", "train_nonlinear"):
        code = (ROOT / "workflow" / "scripts" / f"{name}.py").read_text()
        pin = code.index("pin_threads(snakemake.config")
        first_numerical_import = min(
            code.index(module)
            for module in (
                "\nimport torch",
                "\nimport numpy",
                "\nfrom lindae import",
                "\nfrom lindae.d",
            )
            if module in code
        )
        assert pin < first_numerical_import, name
        assert "set_num_threads(snakemake.threads)" not in code, name
