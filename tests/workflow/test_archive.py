"""`snakemake --archive` (docs/running.md, "Archiving a run") needs conda: without it the run is
refused with a message that names conda, and no archive, not even a partial one, is left.

The archive packs the conda packages of every environment in `envs/`, so Snakemake asks conda
first; the build machines have no conda, and where one is installed it is hidden from PATH here.
"""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import snakemake

pytestmark = pytest.mark.workflow


def _path_without_conda() -> str:
    """PATH with every folder that holds a ``conda`` executable left out."""
    folders = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(
        folder for folder in folders if folder and not shutil.which("conda", path=folder)
    )


def test_archive_without_conda_is_refused_and_writes_nothing(tmp_path):
    env = {**os.environ, "PATH": _path_without_conda()}
    assert shutil.which("conda", path=env["PATH"]) is None
    archive = tmp_path / "a.tar.gz"
    result = snakemake(tmp_path, "--archive", str(archive), check=False, env=env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    # Snakemake 9: "Error running conda info. Is conda installed and accessible? ..."
    assert "conda" in output and "Is conda installed" in output, output
    assert not archive.exists()
    assert not list(tmp_path.glob("a.tar*")), "a partial archive was left behind"
