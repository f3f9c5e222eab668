"""lindae.workflow.threads: numerical jobs compute with a fixed thread count (case 13)."""

from __future__ import annotations

import os

from conftest import (
    ROOT,
)

from lindae.workflow.threads import job_threads_of, pin_threads


def test_pin_threads(monkeypatch):
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(variable, "7")  # what Snakemake sets from the job's threads
    assert pin_threads({"compute_threads": 2}, job_threads=1) == 2
    assert os.environ["OPENBLAS_NUM_THREADS"] == os.environ["OMP_NUM_THREADS"] == "2"
    assert pin_threads({"compute_threads": 0}, job_threads=3) == 3
    assert os.environ["MKL_NUM_THREADS"] == "3"


def test_numerical_rules_ask_for_the_threads_their_jobs_compute_with():
    assert job_threads_of({"compute_threads": 1}) == 1
    assert job_threads_of({"compute_threads": 4}) == 4
    assert job_threads_of({"compute_threads": 0}) == 2  # then the job computes with its grant
    rules = {
        "spectra": ["spectrum"],
        "train": ["train_linear", "train_sampled_noise", "train_nonlinear"],
        "analysis": ["train_half_times"],
    }
    for stage, names in rules.items():
        text = (ROOT / "workflow" / "rules" / f"{stage}.smk").read_text()
        for name in names:
            body = text.split(f"rule {name}:", 1)[1].split("\nrule ", 1)[0]
            assert "threads: compute_threads()" in body, name


def test_numerical_scripts_pin_their_threads_first():
    for name in (
        "spectrum",
        "train_linear",
        "train_sampled_noise",
        "train_nonlinear",
        "train_half_times",
    ):
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
