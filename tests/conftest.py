"""Shared fixtures: repository paths, the default config, and a snakemake runner."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "config.yaml"
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def default_config() -> dict:
    """The shipped config/config.yaml (a fresh copy per use is the caller's job)."""
    return yaml.safe_load(CONFIG.read_text())


@pytest.fixture
def config(default_config) -> dict:
    """A mutable copy of the default config."""
    return copy.deepcopy(default_config)


def snakemake(
    workdir: Path,
    *args: str,
    configs: tuple[Path, ...] = (),
    check: bool = True,
    env: dict | None = None,
) -> subprocess.CompletedProcess:
    """Run this repository's workflow with its working directory in ``workdir``."""
    command = [
        str(BIN / "snakemake"),
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(CONFIG),
        *map(str, configs),
        *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=workdir, env=env)
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def write_yaml(path: Path, payload: dict) -> Path:
    path.write_text(yaml.safe_dump(payload))
    return path
