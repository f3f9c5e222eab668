"""The linters the project promises to be clean under: ruff, snakefmt, snakemake --lint."""

import subprocess

from conftest import BIN, ROOT


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT)


def test_ruff_clean():
    result = _run(str(BIN / "ruff"), "check", "src", "tests", "workflow")
    assert result.returncode == 0, result.stdout + result.stderr


def test_snakefmt_clean():
    result = _run(str(BIN / "snakefmt"), "--check", "Snakefile", "workflow")
    assert result.returncode == 0, result.stdout + result.stderr


def test_snakemake_lint_clean():
    result = _run(str(BIN / "snakemake"), "--lint", "--cores", "1")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Lints for" not in output, output
